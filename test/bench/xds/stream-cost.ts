// The server's own share of one push, without sockets: N SotW streams (subscribed like the xDS
// benchmark's clients) get a new EDS snapshot and then ACK it, on a sink that keeps only the
// nonce. What is left of the push's cost in the full benchmark is grpc-js and node:http2.
// `npx tsx test/bench/xds/stream-cost.ts [N]`; XDS_BENCH_BASELINE=dir also runs the stream code
// of another checkout in the same process, taking turns, so both see the same machine.
import { join, resolve } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { DiscoveryRequestSchema } from '../../../protos/gen/envoy/service/discovery/v3/discovery_pb.js';
import { modelSet } from '../../helpers/xds-resources.js';
import { MODEL } from './protocol.js';

const N = Number(process.argv[2] ?? 50_000);
const ROUNDS = 7;
const here = resolve(import.meta.dirname, '..', '..', '..');
const trees = [{ label: 'this', root: here }];
if (process.env.XDS_BENCH_BASELINE)
  trees.push({ label: 'baseline', root: resolve(process.env.XDS_BENCH_BASELINE) });

const SUBS: Array<[string, string[]]> = [
  ['LDS', [MODEL]],
  ['RDS', [MODEL]],
  ['CDS', [`${MODEL}/v1`, `${MODEL}/v2`]],
  ['EDS', [`${MODEL}/v1`, `${MODEL}/v2`]],
];

interface Impl {
  label: string;
  push(): number;
  ack(): number;
}

async function load(label: string, root: string): Promise<Impl> {
  const mod = (p: string) => import(join(root, p));
  const { SnapshotEncoder } = await mod('control-plane/xds/cache/snapshot.ts');
  const { TYPE } = await mod('control-plane/xds/resource-types.ts');
  const { SotwStream } = await mod('control-plane/xds/server/sotw-stream.ts');
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
  const sink = {
    busy: false,
    write: () => {
      writes++;
    },
  };
  const streams: Array<{ onRequest(r: unknown): void; onSnapshot(s: unknown): void }> = [];
  for (let i = 0; i < N; i++) {
    nonces.set(i, new Map());
    const stream = new SotwStream({ id: i, protocol: 'sotw', peer: 'p', openedAt: 0 }, host, sink);
    streams.push(stream);
    for (const [short, names] of SUBS)
      stream.onRequest(
        create(DiscoveryRequestSchema, {
          typeUrl: TYPE[short],
          resourceNames: names,
          ...(short === 'LDS' ? { node: { id: `n${i}` } } : {}),
        }),
      );
    for (const [short, names] of SUBS)
      stream.onRequest(
        create(DiscoveryRequestSchema, {
          typeUrl: TYPE[short],
          resourceNames: names,
          responseNonce: nonces.get(i)!.get(TYPE[short]),
        }),
      );
  }
  const acks = streams.map(() => undefined as unknown);
  return {
    label,
    push() {
      port++;
      snapshot = build();
      writes = 0;
      const t = performance.now();
      for (const s of streams) s.onSnapshot(snapshot);
      const ms = performance.now() - t;
      // Every stream answers the EDS change, and only that.
      if (writes !== N) throw new Error(`${label}: ${writes} responses for ${N} streams`);
      return ms;
    },
    ack() {
      // The requests are made before the clock starts: decoding them is grpc-js's part.
      for (let i = 0; i < streams.length; i++)
        acks[i] = create(DiscoveryRequestSchema, {
          typeUrl: TYPE.EDS,
          resourceNames: SUBS[3]![1],
          versionInfo: snapshot.type(TYPE.EDS).version,
          responseNonce: nonces.get(i)!.get(TYPE.EDS),
        });
      const t = performance.now();
      for (let i = 0; i < streams.length; i++) streams[i]!.onRequest(acks[i]);
      return performance.now() - t;
    },
  };
}

const impls: Impl[] = [];
for (const t of trees) impls.push(await load(t.label, t.root));
const times = new Map(impls.map((i) => [i.label, { push: [] as number[], ack: [] as number[] }]));
for (let r = 0; r < ROUNDS; r++)
  for (const impl of impls) {
    const m = times.get(impl.label)!;
    m.push.push(impl.push());
    m.ack.push(impl.ack());
  }
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
for (const [label, m] of times)
  process.stdout.write(
    `${label}: ${N} streams, median of ${ROUNDS}: push ${median(m.push).toFixed(0)} ms (${((median(m.push) * 1000) / N).toFixed(2)} us/stream), ACK ${median(m.ack).toFixed(0)} ms (${((median(m.ack) * 1000) / N).toFixed(2)} us/stream)\n`,
  );
