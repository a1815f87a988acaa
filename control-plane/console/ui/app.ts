// The console's shell: the login form until a credential is accepted, then the views over one
// event stream. Nothing is fetched before a credential exists, so a session without one holds
// no data at all.
import { html } from 'htm/preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { openEvents, saveCredential, savedCredential } from './connection.js';
import { applyEvent, type ConsoleData, emptyData, type Timing, timings } from './store.js';
import { ModelsView } from './views/models.js';
import { ProxiesView } from './views/proxies.js';
import { RegistryView } from './views/registry.js';
import { RevisionsView } from './views/revisions.js';
import { RolloutsView } from './views/rollouts.js';

/** The credential of an anonymous session: no header at all. */
const ANONYMOUS = '';

const VIEWS = ['models', 'proxies', 'revisions', 'rollouts', 'registry'] as const;
type View = (typeof VIEWS)[number];

function Login(props: { message?: string; onLogin: (c: string) => void }) {
  const [value, setValue] = useState('');
  return html`<form class="login" data-view="login" onSubmit=${(e: Event) => {
    e.preventDefault();
    if (value.trim()) props.onLogin(value.trim());
  }}>
    <h1>Switchyard console</h1>
    <p>Sign in with an admin API key or a bearer token (docs/OPERATIONS.md, "Authentication").</p>
    ${props.message ? html`<p class="error" role="alert">${props.message}</p>` : null}
    <label>API key or token <input type="password" name="credential" autocomplete="off" value=${value}
      onInput=${(e: Event) => setValue((e.target as HTMLInputElement).value)} /></label>
    <button type="submit">Sign in</button>
  </form>`;
}

export function App() {
  const [credential, setCredential] = useState(savedCredential());
  const [refused, setRefused] = useState<string | undefined>();
  const [anonymousRefused, setAnonymousRefused] = useState(false);
  const [status, setStatus] = useState('connecting');
  const [view, setView] = useState<View>(() => viewFromHash());
  const data = useRef<ConsoleData>(emptyData());
  const [tick, setTick] = useState(0);
  const pending = useRef<Timing[]>([]);

  useEffect(() => {
    const onHash = () => setView(viewFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  // Without a saved credential the console first asks as an anonymous caller: where the API
  // grants anonymous callers a role (no auth config: local development), it serves them; where it
  // does not, the stream answers 401 with no data and the login form is shown.
  const session = credential ?? (anonymousRefused ? undefined : ANONYMOUS);
  const signOut = (message?: string) => {
    saveCredential(undefined);
    setRefused(message);
    setAnonymousRefused(true);
    setCredential(undefined);
  };

  useEffect(() => {
    if (session === undefined) return;
    data.current = emptyData();
    return openEvents(session, {
      onEvent: (e) => {
        // The server authenticated the stream again and refused it (an expired token).
        if (e.event === 'refused')
          return signOut(`Signed out: ${(e.data as { message?: string }).message ?? 'credentials refused'}`);
        if (!applyEvent(data.current, e)) return;
        const t: Timing = { event: e.event, sentAt: e.at, receivedAt: e.receivedAt };
        timings().timings.push(t);
        pending.current.push(t);
        setTick((n) => n + 1);
      },
      onStatus: (s) => {
        if (s.state !== 'refused') return setStatus(s.state);
        // Anonymous and refused: simply not signed in yet, nothing to report.
        if (session === ANONYMOUS) return signOut(undefined);
        signOut(`${s.status === 401 ? 'Not signed in' : 'Not allowed'}: ${s.message}`);
      },
    });
  }, [session]);

  // Runs after the DOM of a render is committed: that is when an event counts as applied; the
  // frame after it (a timer queued from requestAnimationFrame runs once that frame is painted)
  // is when the operator sees it.
  useLayoutEffect(() => {
    const now = performance.now();
    const batch = pending.current;
    pending.current = [];
    for (const t of batch) t.renderedAt = now;
    const c = timings();
    const d = data.current;
    const first = c.firstRenderAt === undefined && d.policies.length > 0 && d.endpoints.length > 0;
    if (first) c.firstRenderAt = now;
    requestAnimationFrame(() =>
      setTimeout(() => {
        const painted = performance.now();
        for (const t of batch) t.paintedAt = painted;
        if (first) c.firstPaintAt = painted;
      }, 0),
    );
  }, [tick]);

  if (session === undefined)
    return html`<${Login} message=${refused} onLogin=${(c: string) => {
      saveCredential(c);
      setRefused(undefined);
      setCredential(c);
    }} />`;

  const d = data.current;
  const props = { data: d, credential: session };
  return html`<div class="shell">
    <header>
      <strong>Switchyard</strong>
      <nav>${VIEWS.map(
        (v) =>
          html`<a href=${`#${v}`} class=${v === view ? 'active' : ''} data-nav=${v}>${v[0]!.toUpperCase()}${v.slice(1)}</a>`,
      )}</nav>
      <span class=${`status ${status}`} data-status=${status}>${status}</span>
      <span class="who" data-principal=${d.session?.principal ?? ''}>${d.session?.principal ?? ''}</span>
      <button class="link" onClick=${() => signOut(undefined)}>${session === ANONYMOUS ? 'sign in' : 'sign out'}</button>
    </header>
    ${d.problem ? html`<p class="error" role="alert">${d.problem.code}: ${d.problem.message}</p>` : null}
    <main data-view=${view}>
      ${view === 'models' ? html`<${ModelsView} ...${props} />` : null}
      ${view === 'proxies' ? html`<${ProxiesView} ...${props} />` : null}
      ${view === 'revisions' ? html`<${RevisionsView} ...${props} />` : null}
      ${view === 'rollouts' ? html`<${RolloutsView} ...${props} />` : null}
      ${view === 'registry' ? html`<${RegistryView} ...${props} />` : null}
    </main>
  </div>`;
}

function viewFromHash(): View {
  const h = location.hash.slice(1);
  return (VIEWS as readonly string[]).includes(h) ? (h as View) : 'models';
}
