// The dataplane benchmark's closing table and goal lines (pure: cells in, lines out).
import { availableParallelism, loadavg } from 'node:os';

export type Mode = 'raw' | 'lean' | 'pod' | 'alt' | 'single';

export interface Cell {
  model: string;
  mode: Mode;
  concurrency: number;
  throughput: number;
  p50: number;
  p99: number;
  /** Server CPU µs per request (user + system, all threads), where it could be read. */
  cpuUs?: number;
}

export function report(
  cells: readonly Cell[],
  models: readonly string[],
  concurrency: readonly number[],
  modes: readonly Mode[],
  floor: number,
): string[] {
  const cell = (model: string, mode: Mode, c: number) =>
    cells.find((x) => x.model === model && x.mode === mode && x.concurrency === c);
  const lines: string[] = [];
  const cols = modes.map((m) => `${`${m} req/s`.padStart(12)} ${'p50'.padStart(7)} ${'p99'.padStart(7)}`);
  const hasAlt = modes.includes('alt');
  const head = `${'model'.padEnd(8)} ${'c'.padStart(3)} | ${cols.join(' | ')} | ${'pod/lean'.padStart(8)}${hasAlt ? ` ${'alt/lean'.padStart(8)}` : ''} ${'pod/raw'.padStart(7)}${modes.includes('single') ? ` ${'pod/single'.padStart(10)}` : ''} | ${cpuHead(modes)}`;
  lines.push(head, '-'.repeat(head.length));
  const f = (x: Cell | undefined) =>
    x
      ? `${x.throughput.toFixed(0).padStart(12)} ${x.p50.toFixed(2).padStart(7)} ${x.p99.toFixed(2).padStart(7)}`
      : ''.padStart(28);
  const ratio = (a: Cell | undefined, b: Cell | undefined) =>
    a && b ? a.throughput / b.throughput : Number.NaN;
  for (const model of models)
    for (const c of concurrency) {
      const pod = cell(model, 'pod', c);
      const single = modes.includes('single')
        ? ` ${`${ratio(pod, cell(model, 'single', c)).toFixed(1)}x`.padStart(10)}`
        : '';
      const lean = cell(model, 'lean', c);
      const vsLean = ratio(pod, lean).toFixed(2).padStart(8);
      const altVsLean = hasAlt
        ? ` ${ratio(cell(model, 'alt', c), lean)
            .toFixed(2)
            .padStart(8)}`
        : '';
      const vsRaw = `${(100 * ratio(pod, cell(model, 'raw', c))).toFixed(0)}%`.padStart(7);
      lines.push(
        `${model.padEnd(8)} ${String(c).padStart(3)} | ${modes.map((m) => f(cell(model, m, c))).join(' | ')} | ` +
          `${vsLean}${altVsLean} ${vsRaw}${single} | ${cpuCols(modes, (m) => cell(model, m, c))}`,
      );
    }
  lines.push(
    '',
    'cpu: server CPU µs per request (user + system, every thread, from /proc) over the same windows;',
    '  it moves far less with other load on the machine than req/s does. pod/lean cpu < 1: the pod spends less.',
    '',
    'goals (docs/DATAPLANE.md, "Against the lean server"):',
  );
  for (const model of models) {
    const worst = Math.min(...concurrency.map((c) => ratio(cell(model, 'pod', c), cell(model, 'lean', c))));
    lines.push(
      `  ${model}: pod throughput >= lean at every c: ${worst >= 1 ? 'met' : 'MISSED'} (lowest pod/lean ${worst.toFixed(2)})`,
    );
    const pod1 = cell(model, 'pod', 1);
    const lean1 = cell(model, 'lean', 1);
    if (pod1 && lean1) {
      const added = pod1.p50 - lean1.p50;
      lines.push(
        `  ${model}: pod p50 at c=1 is ${added >= 0 ? '+' : ''}${added.toFixed(3)} ms vs lean (goal <= +0.05 ms): ${added <= 0.05 ? 'met' : 'MISSED'}`,
      );
    }
  }
  lines.push(
    `  transport floor (ServerLive p50 at c=1 on the pod): ${floor.toFixed(3)} ms; ` +
      `load average now ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`,
  );
  if (models.includes('mlp') && modes.includes('single')) {
    const speedup = ratio(cell('mlp', 'pod', 64), cell('mlp', 'single', 64));
    lines.push(
      `  mlp: batching gives ${speedup.toFixed(1)}x the unbatched pod at c=64 (goal >= 5x): ${speedup >= 5 ? 'met' : 'MISSED'}`,
    );
  }
  return lines;
}

/** The servers whose CPU per request is shown (raw runs in the benchmark's own process). */
const cpuModes = (modes: readonly Mode[]) => modes.filter((m) => m !== 'raw');

function cpuHead(modes: readonly Mode[]): string {
  const alt = modes.includes('alt') ? ` ${'alt/lean'.padStart(8)}` : '';
  return `${cpuModes(modes)
    .map((m) => `${m} cpu`.padStart(10))
    .join(' ')} ${'pod/lean'.padStart(8)}${alt}`;
}

function cpuCols(modes: readonly Mode[], cell: (m: Mode) => Cell | undefined): string {
  const us = (m: Mode) => cell(m)?.cpuUs ?? Number.NaN;
  const alt = modes.includes('alt') ? ` ${(us('alt') / us('lean')).toFixed(2).padStart(8)}` : '';
  return `${cpuModes(modes)
    .map((m) => us(m).toFixed(0).padStart(10))
    .join(' ')} ${(us('pod') / us('lean')).toFixed(2).padStart(8)}${alt}`;
}
