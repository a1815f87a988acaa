// Connected proxies and how in sync each is, per resource type: SYNCED when the version ACKed is
// the version sent, PENDING while an ACK is owed, NACK with the client's own error text.
import { html } from 'htm/preact';
import type { WireProxy as ProxyStatus, WireTypeSync as TypeSyncStatus } from '../../wire.js';
import type { ConsoleData } from '../store.js';

const TYPES = ['CDS', 'EDS', 'LDS', 'RDS', 'SDS'];

function syncState(s: TypeSyncStatus | undefined): string {
  if (!s) return '';
  if (s.lastNack && s.acked !== s.sent) return 'NACK';
  if (s.sent !== undefined && s.acked === s.sent) return 'SYNCED';
  return 'PENDING';
}

function cell(s: TypeSyncStatus | undefined) {
  const state = syncState(s);
  return html`<td class=${`sync ${state.toLowerCase()}`} title=${s?.acked ?? ''} data-sync=${state}>${state}</td>`;
}

function nackText(p: ProxyStatus): string {
  return Object.entries(p.types)
    .filter(([, s]) => s.lastNack && s.acked !== s.sent)
    .map(([t, s]) => `${t}: ${s.lastNack!.message}`)
    .join('\n');
}

export function ProxiesView(props: { data: ConsoleData }) {
  const { proxies, session } = props.data;
  if (!session) return html`<p>Waiting for the server...</p>`;
  const types = TYPES.filter((t) => proxies.some((p) => p.types[t]));
  const synced = proxies.filter((p) => Object.values(p.types).every((s) => syncState(s) === 'SYNCED')).length;
  return html`<section class="proxies">
    <h2>Proxies <small>${proxies.length} connected, ${synced} in sync</small></h2>
    <table data-proxies=${proxies.length}>
      <thead><tr><th>node</th><th>cluster</th><th>client</th><th>protocol</th><th>group</th><th>since</th>
        ${types.map((t) => html`<th>${t}</th>`)}<th>NACK</th></tr></thead>
      <tbody>${proxies.map(
        (p) => html`<tr key=${p.stream} data-node=${p.nodeId}>
          <td>${p.nodeId}</td><td>${p.cluster}</td><td>${p.client.family} ${p.client.version}</td>
          <td>${p.protocol}</td><td>${p.group}</td><td>${p.connectedSince.slice(11, 19)}</td>
          ${types.map((t) => cell(p.types[t]))}<td class="nack-text"><pre>${nackText(p)}</pre></td>
        </tr>`,
      )}</tbody>
    </table>
  </section>`;
}
