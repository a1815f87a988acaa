// Rollouts with their step, weights and the gates of the latest judged sample; operators of the
// route's namespace can pause, resume or abort one (with a reason) through the rollout API.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { WireRollout as RolloutView } from '../../wire.js';
import { api } from '../connection.js';
import { type ConsoleData, canAct } from '../store.js';

const ACTIVE = new Set(['progressing', 'paused']);

function Commands(props: { rollout: RolloutView; credential: string }) {
  const r = props.rollout;
  const [reason, setReason] = useState('');
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>();
  const [namespace, name] = r.route.split('/') as [string, string];
  const run = async (cmd: 'pause' | 'resume' | 'abort') => {
    if (!reason.trim())
      return setMessage({ ok: false, text: 'a reason is required: it goes into the audit trail' });
    try {
      await api(
        props.credential,
        'POST',
        `/api/v1/namespaces/${encodeURIComponent(namespace)}/rollouts/${encodeURIComponent(name)}/${cmd}`,
        {
          reason: reason.trim(),
        },
      );
      setMessage({ ok: true, text: `${cmd}: done` });
      setReason('');
    } catch (err) {
      setMessage({ ok: false, text: (err as Error).message });
    }
  };
  return html`<div class="commands" data-rollout-commands=${r.route}>
    <input type="text" name="reason" placeholder="reason (audited)" value=${reason}
      onInput=${(e: Event) => setReason((e.target as HTMLInputElement).value)} />
    ${r.phase === 'paused' ? html`<button onClick=${() => run('resume')}>resume</button>` : html`<button onClick=${() => run('pause')}>pause</button>`}
    <button class="danger" onClick=${() => run('abort')}>abort</button>
    ${message ? html`<span class=${message.ok ? 'ok' : 'error'} role="status">${message.text}</span>` : null}
  </div>`;
}

export function RolloutsView(props: { data: ConsoleData; credential: string }) {
  const { rollouts, session } = props.data;
  if (!session) return html`<p>Waiting for the server...</p>`;
  if (rollouts.length === 0) return html`<p data-rollouts="0">No rollouts.</p>`;
  return html`<div data-rollouts=${rollouts.length}>${rollouts.map(
    (r) => html`<section class="rollout" data-rollout=${r.route}>
      <h2>${r.route} <small>${r.model}: ${r.stable} -> ${r.candidate}</small> <span class=${`tag ${r.phase}`}>${r.phase}</span></h2>
      <p>step ${Math.min(r.step, r.steps)} of ${r.steps} · candidate ${r.candidateWeight}% · stable ${r.stableWeight}%
        ${r.mirrorPercent ? ` · mirror ${r.mirrorPercent}%` : ''} · failures ${r.failures}/${r.failureLimit}
        ${r.phase === 'progressing' ? ` · ${Math.round(r.stepTimeLeftMs / 1000)} s left in step` : ''}
        ${r.pausedReason ? html` · paused: <em>${r.pausedReason}</em>` : null}</p>
      <table class="gates"><thead><tr><th>gate</th><th>outcome</th><th>candidate</th><th>stable</th><th>threshold</th><th>detail</th></tr></thead>
        <tbody>${r.gates.map(
          (
            g,
          ) => html`<tr class=${`gate ${g.outcome}`}><td>${g.gate}</td><td>${g.outcome}</td><td>${g.candidate ?? ''}</td>
            <td>${g.stable ?? ''}</td><td>${g.threshold ?? ''}</td><td>${g.detail}</td></tr>`,
        )}</tbody></table>
      ${ACTIVE.has(r.phase) && canAct(session, r.route.split('/')[0] ?? '') ? html`<${Commands} rollout=${r} credential=${props.credential} />` : null}
    </section>`,
  )}</div>`;
}
