// The operator's split slider: new weights for a policy's versions and a reason, applied as a new
// revision through PUT /api/v1/namespaces/{ns}/policies/{name} (so it is validated, audited and
// refused on a concurrent change: expectedRevision is the revision the operator was looking at).
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { WirePolicy as PolicyView } from '../../wire.js';
import { api } from '../connection.js';

export function SplitForm(props: { policy: PolicyView; credential: string }) {
  const p = props.policy;
  const [weights, setWeights] = useState<number[] | undefined>();
  const [reason, setReason] = useState('');
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>();
  const [busy, setBusy] = useState(false);
  const shown = weights ?? p.versions.map((v) => v.weight);
  const linked = p.versions.length === 2;

  const set = (i: number, w: number) => {
    const next = [...shown];
    next[i] = w;
    // Two versions: the slider moves traffic from one to the other, the total stays 100.
    if (linked) next[1 - i] = 100 - w;
    setWeights(next);
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!reason.trim()) {
      setMessage({ ok: false, text: 'a reason is required: it goes into the audit trail' });
      return;
    }
    setBusy(true);
    const doc = structuredClone(p.document) as { spec: { versions: Array<{ weight: number }> } };
    doc.spec.versions = doc.spec.versions.map((v, i) => ({ ...v, weight: shown[i] ?? v.weight }));
    try {
      const r = await api<{ revision?: number; number?: number }>(
        props.credential,
        'PUT',
        `/api/v1/namespaces/${encodeURIComponent(p.namespace)}/policies/${encodeURIComponent(p.name)}`,
        { document: doc, reason: reason.trim(), ...(p.revision ? { expectedRevision: p.revision } : {}) },
      );
      setMessage({ ok: true, text: `applied as revision ${r.number ?? r.revision ?? ''}` });
      setWeights(undefined);
      setReason('');
    } catch (err) {
      setMessage({ ok: false, text: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };

  return html`<form class="split-form" data-split-form=${p.model} onSubmit=${submit}>
    ${p.versions.map(
      (v, i) => html`<label>${v.name}
        <input type="range" min="0" max="100" step="1" name=${`weight-${v.name}`} value=${shown[i]}
          onInput=${(e: Event) => set(i, Number((e.target as HTMLInputElement).value))} />
        <output>${shown[i]}</output></label>`,
    )}
    <label>reason <input type="text" name="reason" value=${reason} placeholder="why (audited)"
      onInput=${(e: Event) => setReason((e.target as HTMLInputElement).value)} /></label>
    <button type="submit" disabled=${busy || !weights}>apply split</button>
    ${message ? html`<span class=${message.ok ? 'ok' : 'error'} role="status">${message.text}</span>` : null}
  </form>`;
}
