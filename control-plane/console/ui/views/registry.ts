// The model registry: each version with its stage, regions and size, and where placement put it
// (cluster-wide viewers only, as GET /api/v1/placement).
import { html } from 'htm/preact';
import type { WirePlacement, WireRegistryVersion } from '../../wire.js';
import type { ConsoleData } from '../store.js';

export function RegistryView(props: { data: ConsoleData }) {
  const { registry, session } = props.data;
  if (!session) return html`<p>Waiting for the server...</p>`;
  const versions: readonly WireRegistryVersion[] = registry.versions;
  const placed = (registry.placement as WirePlacement | undefined)?.versions ?? [];
  const where = new Map(placed.map((p) => [`${p.model}:${p.version}`, p]));
  if (versions.length === 0)
    return html`<p data-registry="0">The registry holds no models (or it is off: it needs NATS and a KEK).</p>`;
  return html`<table class="registry" data-registry=${versions.length}>
    <thead><tr><th>model</th><th>version</th><th>namespace</th><th>stage</th><th>regions</th><th>size</th>
      <th>pushed</th><th>placement (ready / assigned / desired)</th></tr></thead>
    <tbody>${versions.map((v) => {
      const p = where.get(`${v.name}:${v.version}`);
      return html`<tr data-registry-version=${`${v.name}:${v.version}`}><td>${v.name}</td><td>${v.version}</td><td>${v.namespace}</td>
        <td class=${`stage ${v.stage}`}>${v.stage}</td><td>${v.regions.join(', ') || 'any'}</td>
        <td>${(v.sizeBytes / 1024).toFixed(1)} KiB</td><td>${v.pushedBy} ${v.pushedAt.slice(0, 19).replace('T', ' ')}</td>
        <td>${p ? `${p.ready.length} / ${p.assigned.length} / ${p.desiredReplicas}${p.unplaced ? ` (unplaced: ${p.unplaced.reason})` : ''}` : ''}</td></tr>`;
    })}</tbody>
  </table>`;
}
