// Benchmark of the operators' API (docs/OPERATIONS.md on a real nats-server with JetStream):
//  1. applies per second (sequential, and 8 concurrent writers on distinct policies);
//  2. time from an apply (HTTP call start) to every connected proxy ACKing the new routes, with 100
//     ADS streams, over 20 applies (p50/p99/max of all proxy ACKs);
//  3. failover time between two replicas: a proxyless gRPC client connected to replica A is moved
//     to B when A stops; time until it has re-ACKed every type on B (5 runs).
import { create } from '@bufbuild/protobuf';
import { credentials } from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import { renderTable } from '../../control-plane/cli/table.js';
import { TYPE } from '../../control-plane/xds/resource-types.js';
import { PredictRequestSchema } from '../../protos/gen/switchyard/demo/v1/backend_pb.js';
import { type ApiFixture, apiKey, routeDoc, startApi } from '../api/fixture.js';
import { SotwClient } from '../helpers/ads-client.js';
import { waitFor } from '../helpers/control-plane.js';
import { DemoBackendClient, predict, startDemoBackend } from '../helpers/demo-backend.js';

grpcXds.register();
process.env.SWITCHYARD_LOG ??= 'warn';

const pct = (s: number[], p: number) =>
  s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
const median = (xs: number[]) =>
  pct(
    [...xs].sort((a, b) => a - b),
    50,
  );
const log = (m: string) => process.stdout.write(`${m}\n`);

async function appliesPerSecond(fx: ApiFixture): Promise<{ sequential: number[]; concurrent: number[] }> {
  const h = apiKey(fx.keys['admin-all']);
  const sequential: number[] = [];
  const concurrent: number[] = [];
  for (let run = 0; run < 3; run++) {
    const n = 100;
    let t = performance.now();
    for (let i = 0; i < n; i++) {
      const r = await fx.call(
        'POST',
        '/api/v1/policies',
        { document: routeDoc('bench-seq', 'default', 1 + ((i + run * n) % 98)) },
        h,
      );
      if (r.status >= 300) throw new Error(`apply failed: ${JSON.stringify(r.json)}`);
    }
    sequential.push(n / ((performance.now() - t) / 1000));
    t = performance.now();
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        for (let i = 0; i < n / 8; i++) {
          const r = await fx.call(
            'POST',
            '/api/v1/policies',
            { document: routeDoc(`bench-par-${w}`, 'default', 1 + ((i + run * n) % 98)) },
            h,
          );
          if (r.status >= 300) throw new Error(`apply failed: ${JSON.stringify(r.json)}`);
        }
      }),
    );
    concurrent.push(n / ((performance.now() - t) / 1000));
    log(
      `  run ${run + 1}: sequential ${sequential.at(-1)!.toFixed(0)}/s, 8 writers ${concurrent.at(-1)!.toFixed(0)}/s`,
    );
  }
  return { sequential, concurrent };
}

async function applyToAck(fx: ApiFixture, proxies: number, applies: number): Promise<number[]> {
  const h = apiKey(fx.keys['admin-all']);
  await fx.call('POST', '/api/v1/policies', { document: routeDoc('converge', 'default', 50) }, h);
  await waitFor(() => fx.cp.storedPolicies().some((p) => p.name === 'converge'), 5000, 'the policy');
  fx.cp.flush();
  const clients: SotwClient[] = [];
  for (let i = 0; i < proxies; i++) {
    const c = new SotwClient(fx.xdsAddress, {
      id: `bench-proxy-${i}`,
      userAgentName: 'gRPC Node Pure-JS bench',
    });
    const names: Record<string, string[]> = {
      [TYPE.LDS]: ['converge'],
      [TYPE.RDS]: ['converge'],
      [TYPE.CDS]: ['converge/v1', 'converge/v2'],
      [TYPE.EDS]: ['converge/v1', 'converge/v2'],
    };
    // Auto-ACK every response, as a proxy does.
    (
      c as unknown as {
        call: {
          on(ev: string, f: (r: { typeUrl: string; versionInfo: string; nonce: string }) => void): void;
        };
      }
    ).call.on('data', (r) => c.ack(r as never, names[r.typeUrl] ?? []));
    for (const [t, n] of Object.entries(names)) c.send({ typeUrl: t, resourceNames: n });
    clients.push(c);
  }
  await waitFor(
    () => fx.cp.proxies.list().filter((p) => p.types.RDS?.acked).length >= proxies,
    30_000,
    'all proxies synced',
  );
  const latencies: number[] = [];
  for (let a = 0; a < applies; a++) {
    const before = fx.cp.cache.get('grpc')?.type(TYPE.RDS).version;
    const t0 = performance.now();
    // A weight never used before in this run: every apply is a new RDS version.
    const r = await fx.call(
      'POST',
      '/api/v1/policies',
      { document: routeDoc('converge', 'default', 70 + a) },
      h,
    );
    if (r.status >= 300) throw new Error(JSON.stringify(r.json));
    const acked = new Map<string, number>();
    let target = '';
    await waitFor(
      () => {
        target = fx.cp.cache.get('grpc')?.type(TYPE.RDS).version ?? '';
        if (target === before) return false;
        for (const p of fx.cp.proxies.list())
          if (!acked.has(p.nodeId) && p.types.RDS?.acked === target && p.nodeId.startsWith('bench-proxy-'))
            acked.set(p.nodeId, performance.now() - t0);
        return acked.size >= proxies;
      },
      30_000,
      'every proxy to ACK',
    );
    latencies.push(...acked.values());
    if ((a + 1) % 5 === 0)
      log(`  apply ${a + 1}/${applies}: slowest proxy ${Math.max(...acked.values()).toFixed(1)} ms`);
  }
  for (const c of clients) c.close();
  return latencies.sort((x, y) => x - y);
}

async function failover(runs: number): Promise<number[]> {
  const v1 = await startDemoBackend('v1');
  const v2 = await startDemoBackend('v2');
  const out: number[] = [];
  try {
    for (let run = 0; run < runs; run++) {
      const fx = await startApi();
      try {
        const b = await fx.startReplica();
        await fx.call(
          'POST',
          '/api/v1/policies',
          { document: routeDoc('ha', 'default', 50, [v1.port, v2.port]) },
          apiKey(fx.keys['admin-all']),
        );
        await waitFor(
          () => [fx.cp, b].every((cp) => cp.storedPolicies().some((p) => p.name === 'ha')),
          5000,
          'replicas',
        );
        fx.cp.flush();
        b.flush();
        const bootstrap = JSON.stringify({
          xds_servers: [
            {
              server_uri: `ipv4:127.0.0.1:${fx.cp.xdsPort},127.0.0.1:${b.xdsPort}`,
              channel_creds: [{ type: 'insecure' }],
              server_features: ['xds_v3'],
            },
          ],
          node: { id: `ha-${run}`, cluster: 'bench', locality: {} },
        });
        const client = new DemoBackendClient('xds:///ha', credentials.createInsecure(), {
          'grpc.TEST_ONLY_DO_NOT_USE_IN_PROD.xds_bootstrap_config': bootstrap,
        });
        await predict(client, create(PredictRequestSchema, { model: 'ha' }));
        const t0 = performance.now();
        await fx.cp.stop();
        await waitFor(
          () => {
            const p = b.proxies.list().find((x) => x.nodeId === `ha-${run}`);
            return (
              !!p &&
              ['LDS', 'RDS', 'CDS', 'EDS'].every(
                (t) => p.types[t]?.acked && p.types[t]?.acked === p.types[t]?.sent,
              )
            );
          },
          30_000,
          'resync on B',
        );
        out.push(performance.now() - t0);
        log(`  run ${run + 1}: ${out.at(-1)!.toFixed(0)} ms`);
        client.close();
      } finally {
        await fx.close();
      }
    }
  } finally {
    await Promise.all([v1.close(), v2.close()]);
  }
  return out;
}

async function main() {
  log('starting nats-server (JetStream) and a control plane (production debounce: 100 ms quiet) ...');
  const fx = await startApi({ debounceQuietMs: 100 });
  let rates: Awaited<ReturnType<typeof appliesPerSecond>>;
  let acks: number[];
  try {
    log('1. applies per second (HTTP, API key auth, KV compare-and-set, audit append)');
    rates = await appliesPerSecond(fx);
    log('2. apply -> every proxy ACKed the new RDS (100 ADS streams, 20 applies)');
    acks = await applyToAck(fx, 100, 20);
  } finally {
    await fx.close();
  }
  log('3. failover between replicas (grpc-js-xds client, replica A stopped)');
  const fo = await failover(5);
  log('\noperators API benchmark (medians of runs)');
  log(
    renderTable(
      ['measure', 'median', 'p50 ms', 'p99 ms', 'max ms', 'runs'],
      [
        [
          'applies/s, one writer',
          median(rates.sequential).toFixed(0),
          '',
          '',
          '',
          String(rates.sequential.length),
        ],
        [
          'applies/s, 8 writers',
          median(rates.concurrent).toFixed(0),
          '',
          '',
          '',
          String(rates.concurrent.length),
        ],
        [
          'apply -> all 100 proxies ACK',
          '',
          pct(acks, 50).toFixed(1),
          pct(acks, 99).toFixed(1),
          acks.at(-1)!.toFixed(1),
          `${acks.length} ACKs`,
        ],
        [
          'replica failover (client resynced)',
          `${median(fo).toFixed(0)} ms`,
          '',
          '',
          Math.max(...fo).toFixed(0),
          String(fo.length),
        ],
      ],
    ),
  );
}

await main();
