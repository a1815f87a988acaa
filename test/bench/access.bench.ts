// Benchmark of access enforcement at the pod (docs/ACCESS.md, "At the pods"): the same pod,
// in one run, with no access policy and with a bearer JWT (ES256, inline JWKS, a scope) plus a
// model and a per-tenant rate limit set high enough never to refuse. Variants alternate window by
// window (the same pod; only its rules change between windows), so both see the same machine
// load; CONCURRENCY callers in flight over gRPC (grpc-js) and REST (node:http keep-alive); 8
// tenants, each reusing its token as real clients do. Medians over ROUNDS of throughput, p50 and
// p99. Also: one uncached ES256 verification (a token seen for the first time), in-process.
// `npx tsx test/bench/run.ts access`; results also go to test/bench/results/access.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { renderTable } from '../../control-plane/cli/table.js';
import { JwtVerifier } from '../../data-plane/access/jwt-verifier.js';
import type { AccessRules, AccessRulesMessage } from '../../kernel/contract/index.js';
import { serviceDefinition } from '../../kernel/grpc/service-definition.js';
import {
  GRPCInferenceService,
  ModelInferRequestSchema,
} from '../../protos/gen/inference/grpc_predict_v2_pb.js';
import { AUDIENCE, ISSUER, testIssuer } from '../access/helpers.js';
import { modelRepoCopy, startTestPod } from '../dataplane/harness.js';

const ROUNDS = Number(process.env.ACCESS_BENCH_ROUNDS ?? 7);
const WINDOW_MS = Number(process.env.ACCESS_BENCH_WINDOW_MS ?? 1500);
const CONCURRENCY = Number(process.env.ACCESS_BENCH_CONCURRENCY ?? 8);
const TENANTS = 8;
const here = dirname(fileURLToPath(import.meta.url));
const log = (s: string) => process.stdout.write(`${s}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

interface Window {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
}

async function window(call: (i: number) => Promise<void>): Promise<Window> {
  const lat: number[] = [];
  const start = performance.now();
  let n = 0;
  const caller = async (c: number) => {
    while (performance.now() - start < WINDOW_MS) {
      const t0 = performance.now();
      await call(n++ + c);
      lat.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, c) => caller(c)));
  return { rps: (lat.length * 1000) / (performance.now() - start), p50: pct(lat, 0.5), p99: pct(lat, 0.99) };
}

async function main(): Promise<void> {
  const issuer = await testIssuer();
  const tokens = await Promise.all(
    Array.from({ length: TENANTS }, (_, i) =>
      issuer.sign({ sub: `tenant-${i}`, scope: 'predict' }, { exp: '2h' }),
    ),
  );
  const enforced: AccessRules = {
    jwt: {
      issuer: ISSUER,
      audiences: [AUDIENCE],
      jwks: { inline: { keys: issuer.jwks.keys } },
      algorithms: ['ES256'],
      requiredClaims: {},
      scopes: ['predict'],
      tenantClaim: 'sub',
      clockSkew: '30s',
    },
    rateLimit: { model: { rps: 1e6, burst: 1e6 }, perTenant: { rps: 1e6, burst: 1e6 } },
  };
  const rules: Record<string, AccessRulesMessage> = {
    'no policy': { version: 'open', models: {} },
    'JWT + rate limit': { version: 'jwt', models: { affine: enforced } },
  };
  const repo = await modelRepoCopy(['affine']);
  // No batching window: each call's latency is the pod's own work, so the access check's share
  // of it is as large as it can be.
  const pod = await startTestPod(repo.dir, {
    disableBatching: true,
    access: { from: 'rules', rules: rules['no policy']! },
  });
  const Ctor = grpc.makeGenericClientConstructor(serviceDefinition(GRPCInferenceService), 'KServe');
  const client = new Ctor(
    `127.0.0.1:${pod.ports.grpc}`,
    grpc.credentials.createInsecure(),
  ) as unknown as Record<string, (req: unknown, md: grpc.Metadata, cb: (err: Error | null) => void) => void>;
  const x = new Float32Array([1, 2, 3, 4, 5, 6]);
  const req = create(ModelInferRequestSchema, {
    modelName: 'affine',
    inputs: [{ name: 'x', datatype: 'FP32', shape: [2n, 3n] }],
    rawInputContents: [new Uint8Array(x.buffer)],
  });
  const mds = tokens.map((t) => {
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${t}`);
    return md;
  });
  const grpcCall = (i: number) =>
    new Promise<void>((resolve, reject) =>
      client.modelInfer!.call(client, req, mds[i % TENANTS]!, (err) => (err ? reject(err) : resolve())),
    );
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const body = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 3], data: [...x] }] });
  const restCall = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const r = request(
        {
          host: '127.0.0.1',
          port: pod.ports.http,
          method: 'POST',
          path: '/v2/models/affine/infer',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            authorization: `Bearer ${tokens[i % TENANTS]}`,
          },
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`)),
          );
        },
      );
      r.on('error', reject);
      r.end(body);
    });

  // Warm-up: sessions, JIT, connections, the verified-token cache.
  for (const v of Object.keys(rules)) {
    pod.access!.setRules(rules[v]!);
    for (let i = 0; i < 200; i++) await Promise.all([grpcCall(i), restCall(i)]);
  }
  const results: Record<string, Record<string, Window[]>> = { gRPC: {}, REST: {} };
  for (let r = 0; r < ROUNDS; r++) {
    // ABBA: the order flips every round, so a drifting load favours neither variant.
    for (const [transport, call] of [
      ['gRPC', grpcCall],
      ['REST', restCall],
    ] as const)
      for (const v of r % 2 ? Object.keys(rules).reverse() : Object.keys(rules)) {
        pod.access!.setRules(rules[v]!);
        const runs = results[transport]![v] ?? [];
        runs.push(await window(call));
        results[transport]![v] = runs;
      }
    log(
      `  round ${r + 1}/${ROUNDS}: ${Object.entries(results)
        .flatMap(([t, vs]) => Object.entries(vs).map(([v, w]) => `${t} ${v} ${w.at(-1)!.rps.toFixed(0)}/s`))
        .join(', ')}`,
    );
  }
  const refusals = (await pod.metrics.registry.metrics()).match(
    /switchyard_pod_access_refusals_total\{[^}]*\} \d+/g,
  );
  if (refusals) throw new Error(`the enforced variant refused calls: ${refusals.join(', ')}`);

  // One first-time verification (no cache): distinct tokens, each verified once.
  const verifier = new JwtVerifier(enforced.jwt!);
  const fresh = await Promise.all(
    Array.from({ length: 500 }, (_, i) => issuer.sign({ sub: `t${i}`, scope: 'predict' }, { exp: '2h' })),
  );
  const t0 = performance.now();
  for (const t of fresh) if (!(await verifier.verify(t)).ok) throw new Error('a fresh token did not verify');
  const uncachedUs = ((performance.now() - t0) * 1000) / fresh.length;
  const t1 = performance.now();
  for (const t of fresh) await verifier.verify(t);
  const cachedUs = ((performance.now() - t1) * 1000) / fresh.length;

  // The check alone, as both servers call it (cached token, both buckets), against no rules:
  // what the access step adds to a call, free of the network and the model.
  const checkUs: Record<string, number> = {};
  for (const v of Object.keys(rules)) {
    pod.access!.setRules(rules[v]!);
    const perBatch: number[] = [];
    for (let b = 0; b < 21; b++) {
      const t = performance.now();
      for (let i = 0; i < 2000; i++) {
        const auth = `Bearer ${tokens[i % TENANTS]}`;
        await pod.access!.check('affine', {
          peer: undefined,
          header: (h) => (h === 'authorization' ? auth : undefined),
        });
      }
      perBatch.push(((performance.now() - t) * 1000) / 2000);
    }
    checkUs[v] = median(perBatch);
  }

  const rows: string[][] = [];
  const summary: Record<string, unknown> = {};
  for (const [transport, vs] of Object.entries(results)) {
    const base = vs['no policy']!;
    const on = vs['JWT + rate limit']!;
    const m = (w: Window[], k: keyof Window) => median(w.map((x) => x[k]));
    const cost = 1 - m(on, 'rps') / m(base, 'rps');
    const dp50 = m(on, 'p50') - m(base, 'p50');
    for (const [name, w] of Object.entries(vs))
      rows.push([transport, name, m(w, 'rps').toFixed(0), m(w, 'p50').toFixed(3), m(w, 'p99').toFixed(3)]);
    rows.push([
      transport,
      'cost',
      `${(cost * 100).toFixed(1)} %`,
      `${dp50 >= 0 ? '+' : ''}${dp50.toFixed(3)}`,
      `goal <= 5 %, <= 0.1 ms p50: ${cost <= 0.05 && dp50 <= 0.1 ? 'met' : 'NOT met'}`,
    ]);
    summary[transport] = {
      noPolicy: { rps: m(base, 'rps'), p50Ms: m(base, 'p50'), p99Ms: m(base, 'p99') },
      jwtAndRateLimit: { rps: m(on, 'rps'), p50Ms: m(on, 'p50'), p99Ms: m(on, 'p99') },
      throughputCost: cost,
      p50DeltaMs: dp50,
    };
  }
  log(`\naccess at the pod: ${ROUNDS} rounds of ${WINDOW_MS} ms, ${CONCURRENCY} in flight, medians`);
  log(renderTable(['transport', 'variant', 'calls/s', 'p50 ms', 'p99 ms'], rows));
  log(
    `ES256 verification: ${uncachedUs.toFixed(0)} us first time, ${cachedUs.toFixed(1)} us cached (per token)`,
  );
  const out = join(here, 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(
    join(out, 'access.json'),
    `${JSON.stringify({ rounds: ROUNDS, windowMs: WINDOW_MS, concurrency: CONCURRENCY, ...summary, uncachedUs, cachedUs, checkUs }, null, 2)}\n`,
  );
  (client as unknown as grpc.Client).close();
  agent.destroy();
  await pod.close();
  await repo.cleanup();
}

await main();
