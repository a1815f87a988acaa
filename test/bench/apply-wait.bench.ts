// Benchmark of `apply --wait` (docs/OPERATIONS.md, "Waiting for the proxies"): a control plane on
// a real nats-server (JetStream store, production debounce of 100 ms) with 1,000 proxyless ADS
// streams from a separate load process (test/bench/xds/load-proc.ts: one HTTP/2 connection per
// stream, LDS/RDS/CDS/EDS for the model, every response ACKed). Each run applies a new split and
// then waits exactly as `apply --wait` does (cli/sync-wait.ts polling the sync route), from the
// start of the apply call until the route says every one of the 1,000 proxies has ACKed.
// Goal: p99 < 2 s. APPLY_WAIT_PROXIES and APPLY_WAIT_RUNS change the size.
import { type ChildProcess, fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitForAcks } from '../../control-plane/cli/sync-wait.js';
import { renderTable } from '../../control-plane/cli/table.js';
import { apiKey, routeDoc, startApi } from '../api/fixture.js';

process.env.SWITCHYARD_LOG ??= 'warn';
const here = dirname(fileURLToPath(import.meta.url));
const PROXIES = Number(process.env.APPLY_WAIT_PROXIES ?? 1000);
const RUNS = Number(process.env.APPLY_WAIT_RUNS ?? 20);
const GOAL_P99_MS = 2000;

function request<T>(
  proc: ChildProcess,
  msg: unknown,
  accept: (m: Record<string, unknown>) => boolean,
): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: Record<string, unknown>) => {
      if (!accept(m)) return;
      proc.off('message', on);
      resolve(m as T);
    };
    proc.on('message', on);
    if (msg) proc.send(msg as never);
  });
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

async function main(): Promise<void> {
  // The production debounce (100 ms quiet): what an operator's apply waits behind.
  const fx = await startApi({ debounceQuietMs: 100 });
  const load = fork(join(here, 'xds', 'load-proc.ts'), [], {
    execArgv: ['--import', 'tsx', '--max-old-space-size=4096'],
    stdio: 'inherit',
  });
  try {
    const key = fx.keys['operator-default'];
    const conn = { server: fx.url, namespace: 'default', apiKey: key };
    let r = await fx.call(
      'POST',
      '/api/v1/policies',
      { document: routeDoc('resnet', 'default', 90) },
      apiKey(key),
    );
    if (r.status >= 300) throw new Error(`apply failed: ${JSON.stringify(r.json)}`);
    await request(load, null, (m) => m.ready === true);
    process.stdout.write(`opening ${PROXIES} ADS streams ...\n`);
    const onProgress = (m: Record<string, unknown>) => {
      if ('progress' in m) process.stdout.write(`\r  synced ${m.progress}/${PROXIES}  failed ${m.failed}   `);
    };
    load.on('message', onProgress);
    const opened = await request<{ synced: number; failed: number }>(
      load,
      { cmd: 'open', total: PROXIES, address: fx.xdsAddress, batch: 100 },
      (m) => 'opened' in m,
    );
    load.off('message', onProgress);
    process.stdout.write(`\r  ${opened.synced} streams synced, ${opened.failed} failed\n`);
    if (opened.failed) throw new Error(`${opened.failed} streams failed to open`);
    await waitForAcks(conn, { namespace: 'default', name: 'resnet' }, 60_000, () => undefined);

    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      r = await fx.call(
        'POST',
        '/api/v1/policies',
        { document: routeDoc('resnet', 'default', i % 2 ? 90 : 80 - (i % 7)) },
        apiKey(key),
      );
      if (r.status >= 300) throw new Error(`apply failed: ${JSON.stringify(r.json)}`);
      const done = await waitForAcks(
        conn,
        { namespace: 'default', name: 'resnet', revision: r.json.revision },
        30_000,
        () => undefined,
      );
      const ms = performance.now() - t0;
      if (done.proxies.length !== PROXIES)
        throw new Error(`the sync state counted ${done.proxies.length} proxies, not ${PROXIES}`);
      times.push(ms);
      process.stdout.write(
        `  run ${i + 1}/${RUNS}: revision ${r.json.revision} ACKed by ${done.proxies.length} proxies in ${ms.toFixed(0)} ms\n`,
      );
    }
    const sorted = [...times].sort((a, b) => a - b);
    const p99 = pct(sorted, 99);
    process.stdout.write(
      `\n${renderTable(
        ['proxies', 'applies', 'p50 ms', 'p99 ms', 'max ms', 'goal p99', 'met'],
        [
          [
            String(PROXIES),
            String(RUNS),
            pct(sorted, 50).toFixed(0),
            p99.toFixed(0),
            sorted.at(-1)!.toFixed(0),
            `< ${GOAL_P99_MS} ms`,
            p99 < GOAL_P99_MS ? 'yes' : 'NO',
          ],
        ],
      )}`,
    );
  } finally {
    await request(load, { cmd: 'close' }, (m) => m.closed === true).catch(() => undefined);
    load.kill();
    await fx.close();
  }
}

await main();
