// Models -> versions -> endpoints, each model with its live split chart and, for operators of
// its namespace, the split slider.
import { html } from 'htm/preact';
import type { WirePolicy as PolicyView } from '../../wire.js';
import { SplitChart } from '../split-chart.js';
import { type ConsoleData, canAct } from '../store.js';
import { EndpointTable, endpointsByModel } from './endpoint-table.js';
import { SplitForm } from './split-form.js';

function ModelCard(props: { policy: PolicyView; data: ConsoleData; credential: string }) {
  const p = props.policy;
  const endpoints = endpointsByModel(props.data.endpoints).get(p.model) ?? [];
  const healthy = (v: string) =>
    endpoints.filter((e) => e.version === v && !e.empty && (e.state ?? e.health) === 'HEALTHY').length;
  const total = (v: string) => endpoints.filter((e) => e.version === v && !e.empty).length;
  return html`<section class="model" data-model=${p.model}>
    <h2>${p.model} <small>${p.namespace}/${p.name} · revision ${p.number ?? p.revision}</small></h2>
    ${p.problem ? html`<p class="error">${p.problem.code}: ${p.problem.message} (serving: ${p.problem.serving})</p>` : null}
    <div class="model-top">
      <${SplitChart} model=${p.model} samples=${props.data.samples} />
      <table class="versions">
        <thead><tr><th>version</th><th>weight</th><th>healthy / endpoints</th></tr></thead>
        <tbody>${p.versions.map(
          (v) =>
            html`<tr data-version=${v.name}><td>${v.name}</td><td>${v.weight}</td><td>${healthy(v.name)} / ${total(v.name)}</td></tr>`,
        )}</tbody>
      </table>
    </div>
    ${canAct(props.data.session, p.namespace) ? html`<${SplitForm} key=${`${p.namespace}/${p.name}@${p.revision}`} policy=${p} credential=${props.credential} />` : null}
    ${endpoints.length > 0 ? html`<details open><summary>${endpoints.length} endpoints</summary><${EndpointTable} model=${p.model} endpoints=${endpoints} /></details>` : null}
  </section>`;
}

export function ModelsView(props: { data: ConsoleData; credential: string }) {
  const { policies, problems } = props.data;
  if (!props.data.session) return html`<p>Waiting for the server...</p>`;
  return html`<div>
    ${
      problems.length > 0
        ? html`<section class="problems"><h2>Not served as written</h2><ul>${problems.map(
            (m) => html`<li><strong>${m.model}</strong> (${m.policy}): ${m.code} ${m.message}</li>`,
          )}</ul></section>`
        : null
    }
    ${policies.length === 0 ? html`<p>No policies you may see.</p>` : null}
    ${policies.map((p) => html`<${ModelCard} key=${`${p.namespace}/${p.name}`} policy=${p} data=${props.data} credential=${props.credential} />`)}
  </div>`;
}
