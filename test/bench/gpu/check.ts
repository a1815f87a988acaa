// The GPU check (docs/DATAPLANE.md, "GPU"): writes the model repository, then times each model
// through the pod's session worker asking for CUDA and for CPU, at batch 1 and 64, and, given a
// pod's URL, probes that pod too. Usage:
//   node check.mjs --repo DIR --ocr FILE [--runs N] [--budget-ms MS] [--pod URL] [--only repo]
import { parseArgs } from 'node:util';
import { probePod } from './pod-probe.js';
import { writeCheckRepo } from './repo.js';
import { type TimingResult, timeModel } from './session-timing.js';

function report(r: TimingResult): string[] {
  const head =
    `session ${r.model} requested ${r.requested}: ` +
    (r.loadError
      ? `load failed: ${r.loadError}`
      : `runs on ${r.provider}, load ${r.loadMs?.toFixed(0)} ms` +
        (r.fallbackReason ? `, fallback: ${r.fallbackReason}` : ''));
  return [
    head,
    ...r.series.map(
      (s) =>
        `  batch ${s.batch}: session.run p50 ${s.p50Ms.toFixed(3)} ms, min ${s.minMs.toFixed(3)} ms, ` +
        `worker round trip p50 ${s.p50TripMs.toFixed(3)} ms (${s.runs} runs)`,
    ),
  ];
}

const { values } = parseArgs({
  options: {
    repo: { type: 'string' },
    ocr: { type: 'string' },
    runs: { type: 'string', default: '50' },
    'budget-ms': { type: 'string', default: '4000' },
    pod: { type: 'string' },
    only: { type: 'string' },
  },
});
if (!values.repo || !values.ocr) throw new Error('usage: check --repo DIR --ocr FILE [--runs N] [--pod URL]');
const out = (line: string) => process.stdout.write(`${line}\n`);
const { models, sha256 } = await writeCheckRepo(values.repo, values.ocr);
out(
  `repo ${values.repo}: ${Object.entries(sha256)
    .map(([m, h]) => `${m} sha256 ${h}`)
    .join(', ')}`,
);
if (values.only !== 'repo') {
  const runs = Number(values.runs);
  const budget = Number(values['budget-ms']);
  if (values.pod) for (const line of await probePod(values.pod, models, Math.min(runs, 20))) out(line);
  else
    for (const m of models)
      for (const provider of ['cuda', 'cpu'] as const)
        for (const line of report(await timeModel(m, provider, [1, 64], runs, budget))) out(line);
}
