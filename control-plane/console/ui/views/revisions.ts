// Policy revisions with the diff of each against the one before, a rollback to any of them for
// operators, whether the live revision reached the proxies, and (for admins) the audit trail.
// History, sync state and audit are read through the API when the view opens and again whenever
// the policies (or, for the sync state, the proxies) topic changes: no timer.
import { diffLines } from 'diff';
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { stringify } from 'yaml';
import type {
  WireAuditRecord as AuditRecord,
  WireRevision as PolicyRevision,
  WirePolicy as PolicyView,
  WirePolicySync,
} from '../../wire.js';
import { api } from '../connection.js';
import { type ConsoleData, canAct } from '../store.js';

/** Unchanged lines kept around each change; longer unchanged runs are folded. */
const CONTEXT = 2;

function Diff(props: { before: unknown; after: unknown }) {
  const parts = diffLines(
    props.before ? stringify(props.before) : '',
    props.after ? stringify(props.after) : '',
  );
  return html`<pre class="diff">${parts.map((p, i) => {
    const lines = p.value.replace(/\n$/, '').split('\n');
    if (p.added || p.removed) {
      const sign = p.added ? '+ ' : '- ';
      return html`<span class=${p.added ? 'add' : 'del'}>${lines.map((l) => sign + l).join('\n')}</span>`;
    }
    const head = i > 0 ? lines.slice(0, CONTEXT) : [];
    const tail = i < parts.length - 1 ? lines.slice(-CONTEXT) : [];
    const kept = lines.length > head.length + tail.length ? [...head, '...', ...tail] : lines;
    return html`<span class="same">${kept.map((l) => `  ${l}`).join('\n')}</span>`;
  })}</pre>`;
}

function RollbackButton(props: { policy: PolicyView; number: number; credential: string }) {
  const [reason, setReason] = useState('');
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>();
  const { namespace, name } = props.policy;
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!reason.trim())
      return setMessage({ ok: false, text: 'a reason is required: it goes into the audit trail' });
    try {
      const r = await api<{ number?: number }>(
        props.credential,
        'POST',
        `/api/v1/namespaces/${encodeURIComponent(namespace)}/policies/${encodeURIComponent(name)}/rollback`,
        { to: props.number, reason: reason.trim() },
      );
      setMessage({ ok: true, text: `rolled back: revision ${r.number ?? ''}` });
    } catch (err) {
      setMessage({ ok: false, text: (err as Error).message });
    }
  };
  return html`<form class="rollback" data-rollback=${props.number} onSubmit=${submit}>
    <input type="text" name="reason" placeholder="reason (audited)" value=${reason}
      onInput=${(e: Event) => setReason((e.target as HTMLInputElement).value)} />
    <button type="submit">roll back to ${props.number}</button>
    ${message ? html`<span class=${message.ok ? 'ok' : 'error'} role="status">${message.text}</span>` : null}
  </form>`;
}

/** Whether the live revision reached the proxies: fetched again whenever the policies or proxies change. */
function SyncState(props: { policy: PolicyView; data: ConsoleData; credential: string }) {
  const p = props.policy;
  const [sync, setSync] = useState<WirePolicySync | undefined>();
  const [error, setError] = useState<string | undefined>();
  const path = `/api/v1/namespaces/${encodeURIComponent(p.namespace)}/policies/${encodeURIComponent(p.name)}/sync`;
  useEffect(() => {
    api<WirePolicySync>(props.credential, 'GET', path)
      .then((r) => {
        setSync(r);
        setError(undefined);
      })
      .catch((err: Error) => setError(err.message));
  }, [path, p.revision, props.data.proxiesVersion]);
  if (error) return html`<p class="muted">sync state: ${error}</p>`;
  if (!sync) return null;
  const acked = sync.proxies.filter((x) => x.state === 'acked').length;
  const nacks = sync.proxies.filter((x) => x.nack);
  return html`<div class="sync-state" data-sync-state=${sync.state}>
    <strong>revision ${p.number ?? sync.revision}: ${sync.state}</strong> · ${acked} of ${sync.proxies.length} proxies ACKed
    ${sync.problem ? html` · <span class="error">${sync.problem.code}: ${sync.problem.message}</span>` : null}
    ${nacks.length > 0 ? html`<ul class="error">${nacks.map((x) => html`<li data-nack-node=${x.nodeId}>${x.nodeId} NACKed ${x.nack!.type}: ${x.nack!.message}</li>`)}</ul>` : null}
  </div>`;
}

function History(props: { policy: PolicyView; data: ConsoleData; credential: string }) {
  const p = props.policy;
  const [revisions, setRevisions] = useState<PolicyRevision[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const path = `/api/v1/namespaces/${encodeURIComponent(p.namespace)}/policies/${encodeURIComponent(p.name)}/history`;
  useEffect(() => {
    api<{ revisions: PolicyRevision[] }>(props.credential, 'GET', path)
      .then((r) => setRevisions(r.revisions))
      .catch((err: Error) => setError(err.message));
  }, [path, p.revision]);
  if (error) return html`<p class="error">${error}</p>`;
  if (!revisions) return html`<p>Loading the history...</p>`;
  const act = canAct(props.data.session, p.namespace);
  const puts = revisions.filter((r) => r.operation === 'PUT');
  return html`<ol class="history" reversed>${[...revisions].reverse().map((r) => {
    const before = puts[puts.indexOf(r) - 1];
    const current = r.revision === p.revision;
    return html`<li data-revision=${r.number ?? r.revision} class=${current ? 'current' : ''}>
      <div><strong>${r.number ?? r.revision}</strong> ${r.operation} ${r.at.slice(0, 19).replace('T', ' ')}
        ${r.record ? html` by ${r.record.appliedBy} (${r.record.source})${r.record.reason ? html`: <em>${r.record.reason}</em>` : null}` : null}
        ${current ? html` <span class="tag">current</span>` : null}</div>
      ${r.record ? html`<${Diff} before=${before?.record?.document} after=${r.record.document} />` : null}
      ${act && !current && r.operation === 'PUT' && r.number !== undefined ? html`<${RollbackButton} policy=${p} number=${r.number} credential=${props.credential} />` : null}
    </li>`;
  })}</ol>`;
}

function AuditTrail(props: { data: ConsoleData; credential: string }) {
  const [records, setRecords] = useState<AuditRecord[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    api<{ records: AuditRecord[] }>(props.credential, 'GET', '/api/v1/audit?limit=50')
      .then((r) => setRecords(r.records))
      .catch((err: Error) => setError(err.message));
  }, [props.data.policiesVersion]);
  if (error) return html`<p class="error">${error}</p>`;
  return html`<table class="audit" data-audit=${records?.length ?? 0}>
    <thead><tr><th>#</th><th>at</th><th>who</th><th>action</th><th>policy</th><th>phase</th><th>revision</th><th>reason</th></tr></thead>
    <tbody>${[...(records ?? [])].reverse().map(
      (
        r,
      ) => html`<tr data-audit-index=${r.index}><td>${r.index}</td><td>${r.at.slice(0, 19).replace('T', ' ')}</td>
        <td>${r.who}</td><td>${r.action}</td><td>${r.namespace}/${r.name}</td><td>${r.phase ?? ''}</td>
        <td>${r.revision ?? ''}</td><td>${r.reason ?? ''}${r.error ? ` (${r.error})` : ''}</td></tr>`,
    )}</tbody>
  </table>`;
}

export function RevisionsView(props: { data: ConsoleData; credential: string }) {
  const { policies, session } = props.data;
  const [selected, setSelected] = useState<string | undefined>();
  if (!session) return html`<p>Waiting for the server...</p>`;
  const key = (p: PolicyView) => `${p.namespace}/${p.name}`;
  const chosen = policies.find((p) => key(p) === selected) ?? policies[0];
  return html`<div class="revisions">
    <nav class="policy-list">${policies.map(
      (p) =>
        html`<button class=${p === chosen ? 'active' : ''} data-policy=${key(p)} onClick=${() => setSelected(key(p))}>${key(p)}</button>`,
    )}</nav>
    ${
      chosen
        ? html`<section><h2>${key(chosen)} <small>model ${chosen.model}</small></h2>
      <${SyncState} key=${`sync ${key(chosen)}`} policy=${chosen} data=${props.data} credential=${props.credential} />
      <${History} key=${key(chosen)} policy=${chosen} data=${props.data} credential=${props.credential} /></section>`
        : html`<p>No policies you may see.</p>`
    }
    ${session.audit ? html`<section><h2>Audit trail <small>latest 50</small></h2><${AuditTrail} data=${props.data} credential=${props.credential} /></section>` : html`<p class="muted">The audit trail is shown to admins.</p>`}
  </div>`;
}
