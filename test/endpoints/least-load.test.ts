// `proxylessBalancing: { mode: least-load }` with real pods and real grpc-js-xds clients: clients
// that registered the least-load policy send each call where it finishes first (the 4x slower
// pod gets little), and a client process that did not register falls back to client-side WRR,
// or to round robin without grpc-js-xds's WRR switch, and still gets every call answered.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  decodeCallLoad,
  LOAD_REPORT_TRAILER,
  registerLeastLoad,
} from '../../kernel/grpc/least-load/index.js';
import { adaptiveWorld, SLOW } from './adaptive-scenario.js';
import { MODEL, routeYaml, servedCounts, shares, sleep } from './harness.js';
import { affineRequest, LoadGenerator, summarize, XdsInferenceClient } from './load.js';

const PLAIN_CLIENT = fileURLToPath(new URL('./plain-client-proc.ts', import.meta.url));
const run = promisify(execFile);

describe('least-load balancing for proxyless clients', () => {
  beforeAll(() => registerLeastLoad());
  const world = adaptiveWorld(undefined, {
    policy: routeYaml('  proxylessBalancing: { mode: least-load }'),
    fastMs: 20,
  });

  it('registered clients give the 4x slower pod a small share and the equal fast pods equal ones', async () => {
    const clients = [0, 1].map((i) => new XdsInferenceClient(world.fx.xdsAddress, MODEL, `least-${i}`));
    await Promise.all(clients.map((c) => c.infer(affineRequest())));
    // The policy asks each call's pod for its load report (a request header): the answer
    // carries one, which is what the pick reads.
    const report = decodeCallLoad(
      (await clients[0]!.trailers(affineRequest())).get(LOAD_REPORT_TRAILER)[0] as Buffer,
    );
    expect(report?.costMs).toBeGreaterThan(0);
    const load = new LoadGenerator(clients);
    load.start(6);
    // No warm-up beyond the first answers: every answer carries a report.
    await sleep(1000);
    const before = servedCounts(world.pods);
    const from = performance.now();
    await sleep(6000);
    const split = shares(world.pods, before);
    const to = performance.now();
    const calls = await load.stop();
    for (const c of clients) c.close();
    const s = summarize(calls, from, to);
    console.log(
      `served ${split.map((x) => `${(100 * x).toFixed(1)}%`).join(' / ')} (slow last), ` +
        `${s.throughputRps.toFixed(0)} rps, p99 ${s.p99Ms.toFixed(1)} ms, ${s.failures} failed of ${s.calls}`,
    );
    expect(calls.filter((c) => c.code !== null)).toEqual([]);
    // Round robin: 25 % each. Six calls over three fast pods keep each at about two calls, so
    // a call on the slow pod (80 ms) rarely finishes first.
    expect(split[SLOW]!).toBeLessThan(0.1);
    for (let i = 0; i < SLOW; i++) expect(split[i]!).toBeGreaterThan(0.25);
  });

  for (const [wrr, name, check] of [
    ['true', 'client-side weighted round robin', (slow: number) => expect(slow).toBeLessThan(0.15)],
    ['false', 'round robin', (slow: number) => expect(Math.abs(slow - 0.25)).toBeLessThan(0.05)],
  ] as const)
    it(`a client process that did not register falls back to ${name} and gets every call answered`, async () => {
      const before = servedCounts(world.pods);
      const { stdout } = await run(
        process.execPath,
        ['--import', 'tsx', PLAIN_CLIENT, world.fx.xdsAddress, MODEL, '6', '6'],
        { env: { ...process.env, GRPC_EXPERIMENTAL_XDS_WRR_LB: wrr }, timeout: 60_000 },
      );
      const out = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
        registered: boolean;
        calls: number;
        failures: number;
      };
      const split = shares(world.pods, before);
      console.log(
        `${name}: served ${split.map((x) => `${(100 * x).toFixed(1)}%`).join(' / ')}, ${JSON.stringify(out)}`,
      );
      expect(out.registered).toBe(false);
      expect(out.failures).toBe(0);
      expect(out.calls).toBeGreaterThan(100);
      check(split[SLOW]!);
    });
});
