// The server's own share of one push, without sockets: N SotW (or delta) streams (subscribed like the xDS
// benchmark's clients) get a new EDS snapshot and then ACK it, on a sink that keeps only the
// nonce. What is left of the push's cost in the full benchmark is grpc-js and node:http2.
// `npx tsx test/bench/xds/stream-cost.ts [N]`; XDS_BENCH_BASELINE=dir also runs the stream code
// of another checkout in the same process, taking turns, so both see the same machine.
// XDS_BENCH_PROTOCOL=delta: delta streams instead. The sink serializes what it is given as the
// server's grpc-js method would (a response not already encoded goes through toBinary), so a
// stream that leaves encoding to grpc-js is charged for it.
import { join, resolve } from 'node:path';
import { create, toBinary } from '@bufbuild/protobuf';
import {
  DeltaDiscoveryRequestSchema,
  DeltaDiscoveryResponseSchema,
  DiscoveryRequestSchema,
} from '../../../protos/gen/envoy/service/discovery/v3/discovery_pb.js';
import { modelSet } from '../../helpers/xds-resources.js';
import { dialectOf } from './dialect.js';
import { MODEL } from './protocol.js';

const N = Number(process.argv[2] ?? 50_000);
const ROUNDS = 7;
const DELTA = dialectOf().protocol === 'delta';
const here = resolve(import.meta.dirname, '..', '..', '..');
const trees = [{ label: 'this', root: here }];
if (process.env.XDS_BENCH_BASELINE)
  trees.push({ label: 'baseline', root: resolve(process.env.XDS_BENCH_BASELINE) });

const SUBS_BY = {
  LDS: [MODEL],
  RDS: [MODEL],
  CDS: [`${MODEL}/v1`, `${MODEL}/v2`],
  EDS: [`${MODEL}/v1`, `${MODEL}/v2`],
};
const SUBS = Object.entries(SUBS_BY) as Array<[keyof typeof SUBS_BY, string[]]>;

interface Impl {
  label: string;
  push(): number;
  ack(): number;
  /** Bytes of each response of the last push: the same for both trees, or they differ. */
  responseBytes(): number;
}

async function load(label: string, root: string): Promise<Impl> {
  const mod = (p: string) => import(join(root, p));
  const { SnapshotEncoder } = await mod('control-plane/xds/cache/snapshot.ts');
  const { TYPE } = await mod('control-plane/xds/resource-types.ts');
  const { SotwStream } = await mod('control-plane/xds/server/sotw-stream.ts');
  const { DeltaStream } = await mod('control-plane/xds/server/delta-stream.ts');
  const encoder = new SnapshotEncoder();
  let port = 9001;
  const build = () =>
    encoder.build(modelSet(MODEL, { v1: { weight: 80, ports: [port] }, v2: { weight: 20, ports: [9002] } }))
      .snapshot;
  let snapshot = build();
  // The last nonce per stream and type, as the responses are reported.
  const nonces = new Map<number, Map<string, string>>();
  const callbacks = {
    onResponse: (ctx: { id: number }, type: string, _v: string, _n: number, nonce: string) =>
      nonces.get(ctx.id)!.set(type, nonce),
  };
  const host = { attach: () => snapshot, callbacks, now: () => performance.now() };
  let writes = 0;
  let bytes = 0;
  const sink = {
    busy: false,
    write: (m: { preEncoded?: Buffer }) => {
      writes++;
      bytes += m.preEncoded ? m.preEncoded.length : toBinary(DeltaDiscoveryResponseSchema, m as never).length;
    },
  };
  const subscribe = (short: keyof typeof SUBS_BY, names: string[], i: number) =>
    DELTA
      ? create(DeltaDiscoveryRequestSchema, {
          typeUrl: TYPE[short],
          resourceNamesSubscribe: names,
          ...(short === 'LDS' ? { node: { id: `n${i}` } } : {}),
        })
      : create(DiscoveryRequestSchema, {
          typeUrl: TYPE[short],
          resourceNames: names,
          ...(short === 'LDS' ? { node: { id: `n${i}` } } : {}),
        });
  const ackOf = (short: keyof typeof SUBS_BY, i: number, version?: string) =>
    DELTA
      ? create(DeltaDiscoveryRequestSchema, {
          typeUrl: TYPE[short],
          responseNonce: nonces.get(i)!.get(TYPE[short]),
        })
      : create(DiscoveryRequestSchema, {
          typeUrl: TYPE[short],
          resourceNames: SUBS_BY[short],
          ...(version ? { versionInfo: version } : {}),
          responseNonce: nonces.get(i)!.get(TYPE[short]),
        });
  const streams: Array<{ onRequest(r: unknown): void; onSnapshot(s: unknown): void }> = [];
  for (let i = 0; i < N; i++) {
    nonces.set(i, new Map());
    const ctx = { id: i, protocol: DELTA ? 'delta' : 'sotw', peer: 'p', openedAt: 0 };
    const stream = DELTA ? new DeltaStream(ctx, host, sink) : new SotwStream(ctx, host, sink);
    streams.push(stream);
    for (const [short, names] of SUBS) stream.onRequest(subscribe(short, names, i));
    for (const [short] of SUBS) stream.onRequest(ackOf(short, i));
  }
  const acks = streams.map(() => undefined as unknown);
  return {
    label,
    push() {
      port++;
      snapshot = build();
      writes = 0;
      bytes = 0;
      const t = performance.now();
      for (const s of streams) s.onSnapshot(snapshot);
      const ms = performance.now() - t;
      // Every stream answers the EDS change, and only that.
      if (writes !== N) throw new Error(`${label}: ${writes} responses for ${N} streams`);
      return ms;
    },
    responseBytes: () => bytes / writes,
    ack() {
      // The requests are made before the clock starts: decoding them is grpc-js's part.
      for (let i = 0; i < streams.length; i++) acks[i] = ackOf('EDS', i, snapshot.type(TYPE.EDS).version);
      const t = performance.now();
      for (let i = 0; i < streams.length; i++) streams[i]!.onRequest(acks[i]);
      return performance.now() - t;
    },
  };
}

const impls: Impl[] = [];
for (const t of trees) impls.push(await load(t.label, t.root));
const times = new Map(impls.map((i) => [i.label, { push: [] as number[], ack: [] as number[], bytes: 0 }]));
for (let r = 0; r < ROUNDS; r++)
  for (const impl of impls) {
    const m = times.get(impl.label)!;
    m.push.push(impl.push());
    m.bytes = impl.responseBytes();
    m.ack.push(impl.ack());
  }
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
for (const [label, m] of times)
  process.stdout.write(
    `${label}: ${N} ${DELTA ? 'delta' : 'SotW'} streams, median of ${ROUNDS}: push ${median(m.push).toFixed(0)} ms (${((median(m.push) * 1000) / N).toFixed(2)} us/stream), ACK ${median(m.ack).toFixed(0)} ms (${((median(m.ack) * 1000) / N).toFixed(2)} us/stream), ${m.bytes} bytes per response\n`,
  );
