// `switchyard rollout status` as text: the step with a progress bar, the weights, each gate's
// figures against its threshold, and the latest decisions. Pure (a view in, lines out), so the
// live view (--watch) and the one-shot print share it and it is tested without a server.
import type { GateResult } from '../rollout/analysis.js';
import type { RolloutView } from '../rollout/rollout-view.js';

const BAR = 24;

export function bar(done: number, total: number, width = BAR): string {
  const share = total > 0 ? Math.min(1, Math.max(0, done / total)) : 1;
  const full = Math.round(share * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
}

function figure(g: GateResult, v: number | undefined): string {
  if (v === undefined) return '-';
  if (!Number.isFinite(v)) return 'inf';
  switch (g.gate) {
    case 'errorRate':
    case 'agreement':
      return `${(v * 100).toFixed(2)}%`;
    case 'latencyP99':
      return `${v.toFixed(1)}ms`;
    default:
      return String(v);
  }
}

export function renderRollout(v: RolloutView, opts: { history?: number } = {}): string {
  const lines: string[] = [];
  lines.push(`rollout ${v.route}: ${v.model} ${v.stable} -> ${v.candidate}  ${v.phase.toUpperCase()}`);
  const stepNo = Math.min(v.step, v.steps);
  const elapsed = v.stepDurationMs - v.stepTimeLeftMs;
  const timing =
    v.phase === 'progressing'
      ? `${bar(elapsed, v.stepDurationMs)} ${seconds(v.stepTimeLeftMs)} left of ${seconds(v.stepDurationMs)}`
      : '';
  lines.push(
    `step      ${stepNo}/${v.steps} ${bar(v.phase === 'succeeded' ? v.steps : stepNo - 1, v.steps, 8)} ${timing}`.trimEnd(),
  );
  lines.push(
    `traffic   ${v.candidate} ${v.candidateWeight} ${bar(v.candidateWeight, v.candidateWeight + v.stableWeight)} ${v.stable} ${v.stableWeight}${v.mirrorPercent > 0 ? `  (mirror ${v.mirrorPercent} % to ${v.candidate})` : ''}`,
  );
  lines.push(`failures  ${v.failures}/${v.failureLimit}`);
  if (v.pausedReason) lines.push(`why       ${v.pausedReason}`);
  if (v.gates.length > 0) {
    lines.push('GATE        VERDICT       CANDIDATE   STABLE      THRESHOLD');
    for (const g of v.gates)
      lines.push(
        `${g.gate.padEnd(12)}${g.outcome.padEnd(14)}${figure(g, g.candidate).padEnd(12)}${figure(g, g.stable).padEnd(12)}${figure(g, g.threshold)}`,
      );
  }
  const n = opts.history ?? 8;
  if (v.history.length > 0) {
    lines.push('HISTORY');
    for (const d of v.history.slice(0, n))
      lines.push(
        `  ${new Date(d.atMs).toISOString().slice(11, 19)}  step ${d.step + 1}  ${d.outcome.padEnd(12)} ${d.reason}`,
      );
  }
  return `${lines.join('\n')}\n`;
}
