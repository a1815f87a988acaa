// One model's endpoints, grouped by version in the order the policy lists them. The table is
// the console's largest render (thousands of rows), so it re-renders only when its rows change:
// the endpoints topic is replaced as a whole only when the server saw a difference.

import { html } from 'htm/preact';
import { Component } from 'preact';
import type { WireEndpoint as EndpointView } from '../../wire.js';

const pct = (x: number | undefined) => (x === undefined ? '' : `${Math.round(x * 100)}%`);
const num = (x: number | undefined) => (x === undefined ? '' : String(Math.round(x * 10) / 10));

function row(e: EndpointView) {
  const where = e.empty ? '(no endpoint)' : `${e.address}:${e.port}`;
  const state = e.state ?? e.health;
  return html`<tr key=${`${e.version}/${where}/${e.podId ?? ''}`} class=${`state-${(state ?? '').split(' ')[0]?.toLowerCase()}`}>
    <td>${e.version}</td><td>${where}</td><td>${e.podId ?? ''}</td><td>${state ?? ''}</td>
    <td>${e.backend ?? ''}${e.overflow ? ' (overflow)' : ''}</td><td>${[e.region, e.zone].filter(Boolean).join('/')}</td>
    <td>${pct(e.utilization)}</td><td>${num(e.queue)}</td><td>${num(e.p99Ms)}</td><td>${num(e.effectiveWeight)}</td>
  </tr>`;
}

export class EndpointTable extends Component<{ model: string; endpoints: readonly EndpointView[] }> {
  override shouldComponentUpdate(next: { model: string; endpoints: readonly EndpointView[] }): boolean {
    return next.endpoints !== this.props.endpoints || next.model !== this.props.model;
  }

  override render() {
    const rows = this.props.endpoints;
    return html`<table class="endpoints" data-endpoints=${this.props.model}>
      <thead><tr><th>version</th><th>endpoint</th><th>pod</th><th>health</th><th>backend</th><th>region</th>
        <th>utilization</th><th>queue</th><th>p99 ms</th><th>weight</th></tr></thead>
      <tbody>${rows.map(row)}</tbody>
    </table>`;
  }
}

/** Endpoints per model, computed once per endpoints array. */
const byModelCache = new WeakMap<readonly EndpointView[], Map<string, EndpointView[]>>();
/** The last grouping: a model whose rows did not change keeps its array, so its table is skipped. */
let previous = new Map<string, EndpointView[]>();

function sameRow(a: EndpointView, b: EndpointView): boolean {
  for (const k of Object.keys(a) as (keyof EndpointView)[]) if (a[k] !== b[k]) return false;
  return Object.keys(a).length === Object.keys(b).length;
}

function sameRows(a: readonly EndpointView[] | undefined, b: readonly EndpointView[]): boolean {
  return a !== undefined && a.length === b.length && a.every((e, i) => sameRow(e, b[i]!));
}

export function endpointsByModel(all: readonly EndpointView[]): Map<string, EndpointView[]> {
  let m = byModelCache.get(all);
  if (!m) {
    m = new Map();
    for (const e of all) {
      const list = m.get(e.model) ?? [];
      list.push(e);
      m.set(e.model, list);
    }
    for (const [model, rows] of m) {
      const before = previous.get(model);
      if (before && sameRows(before, rows)) m.set(model, before);
    }
    previous = m;
    byModelCache.set(all, m);
  }
  return m;
}
