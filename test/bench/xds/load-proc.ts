// Benchmark child: opens ADS streams the way proxyless gRPC clients do (one HTTP/2 connection per
// stream, LDS/RDS/CDS/EDS subscriptions for one model) and ACKs every response.
// XDS_BENCH_PROTOCOL=delta opens incremental (DeltaAggregatedResources) streams instead of SotW
// ones, with the same subscriptions (dialect.ts).
// XDS_BENCH_CLIENT=grpc-js uses a full grpc-js client per stream; the default is a lean client
// on node:http2 (gRPC's 5-byte message framing, protobuf-es for the messages), so that the load
// generator, which shares this 2-core machine with the server, takes less of its CPU.
import { writeFileSync } from 'node:fs';
import { constants as h2, connect as h2connect } from 'node:http2';
import { Session } from 'node:inspector';
import { type ClientDuplexStream, credentials } from '@grpc/grpc-js';
import { TYPE } from '../../../control-plane/xds/resource-types.js';
import { clientConstructor } from '../../../kernel/grpc/service-definition.js';
import { AggregatedDiscoveryService } from '../../../protos/gen/envoy/service/discovery/v3/ads_pb.js';
import { dialectOf, SUBSCRIPTIONS } from './dialect.js';
import { cpuMs, epochMs, type LoadCommand } from './protocol.js';

const Ads = clientConstructor(AggregatedDiscoveryService);
const dialect = dialectOf();

const clients: Array<{ close(): void }> = [];
const calls: Array<{ cancel(): void }> = [];
let synced = 0;
let opened = 0;
let failed = 0;
const openedTo = new Map<string, number>();

/** When each response arrived, per `typeUrl version` (EDS and RDS only), for the phase split. */
const receivedAt = new Map<string, number[]>();
function noteReceived(address: string, res: unknown): void {
  const { typeUrl, version } = dialect.seen(res);
  if (typeUrl !== TYPE.EDS && typeUrl !== TYPE.RDS) return;
  const key = `${address} ${typeUrl} ${version}`;
  let times = receivedAt.get(key);
  if (!times) {
    times = [];
    receivedAt.set(key, times);
  }
  times.push(epochMs());
}

function frame(req: unknown): Buffer {
  const body = dialect.encode(req);
  const out = Buffer.allocUnsafe(5 + body.length);
  out[0] = 0; // not compressed
  out.writeUInt32BE(body.length, 1);
  out.set(body, 5);
  return out;
}

// XDS_BENCH_STREAMS_PER_CONN > 1 multiplexes that many ADS streams on one HTTP/2 connection:
// where the file-descriptor limit (one per connection, in the server and here) is below the
// number of streams, this is how one server can be given more streams than it may hold sockets.
const PER_CONN = Math.max(1, Number(process.env.XDS_BENCH_STREAMS_PER_CONN ?? 1));
const sharedBy = new Map<string, { session: ReturnType<typeof h2connect>; streams: number }>();

function sessionFor(address: string): ReturnType<typeof h2connect> {
  let shared = sharedBy.get(address);
  if (!shared || shared.streams >= PER_CONN || shared.session.destroyed) {
    const session = h2connect(`http://${address}`);
    clients.push({ close: () => session.destroy() });
    shared = { session, streams: 0 };
    sharedBy.set(address, shared);
  }
  shared.streams++;
  return shared.session;
}

function openLeanStream(address: string, i: number): void {
  const session = sessionFor(address);
  const stream = session.request({
    [h2.HTTP2_HEADER_METHOD]: 'POST',
    [h2.HTTP2_HEADER_PATH]: dialect.path,
    [h2.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
    te: 'trailers',
  });
  let pending: Buffer = Buffer.alloc(0);
  let firstResponses = 0;
  stream.on('data', (chunk: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= 5) {
      const len = pending.readUInt32BE(1);
      if (pending.length < 5 + len) break;
      const res = dialect.decode(pending.subarray(5, 5 + len));
      pending = pending.subarray(5 + len);
      noteReceived(address, res);
      stream.write(frame(dialect.ack(res)));
      if (++firstResponses === SUBSCRIPTIONS.length) synced++;
    }
  });
  const fail = () => {
    if (firstResponses < SUBSCRIPTIONS.length) failed++;
  };
  stream.on('error', fail);
  session.on('error', fail);
  for (const req of dialect.initial(i)) stream.write(frame(req));
}

const openStream = process.env.XDS_BENCH_CLIENT === 'grpc-js' ? openGrpcJsStream : openLeanStream;

function openGrpcJsStream(address: string, i: number): void {
  // A local subchannel pool gives every client its own HTTP/2 connection, as separate proxies have.
  const client = new Ads(address, credentials.createInsecure(), {
    'grpc.use_local_subchannel_pool': 1,
    'grpc.enable_retries': 0,
  });
  clients.push(client);
  const call = (client as unknown as Record<string, () => ClientDuplexStream<unknown, unknown>>)[
    dialect.method
  ]!();
  calls.push(call);
  let firstResponses = 0;
  call.on('data', (res: unknown) => {
    noteReceived(address, res);
    call.write(dialect.ack(res));
    if (++firstResponses === SUBSCRIPTIONS.length) synced++;
  });
  call.on('error', () => failed++);
  for (const req of dialect.initial(i)) call.write(req);
}

process.on('message', async (msg: LoadCommand) => {
  if (msg.cmd === 'open') {
    // Counts are per server address; `opened`, `synced` and `failed` run over all of them.
    const start = openedTo.get(msg.address) ?? 0;
    const base = { opened, synced, failed };
    const done = () => synced + failed - base.synced - base.failed;
    for (let i = start; i < msg.total; i++) {
      openStream(msg.address, msg.firstId + i);
      opened++;
      openedTo.set(msg.address, i + 1);
      if ((i + 1 - start) % msg.batch === 0) {
        // Pace connection setup so the listen backlog never overflows.
        while (done() < i + 1 - start && failed - base.failed < 50)
          await new Promise((r) => setTimeout(r, 5));
        process.send!({ progress: synced - base.synced, failed: failed - base.failed });
      }
    }
    while (done() < msg.total - start && failed - base.failed < 50)
      await new Promise((r) => setTimeout(r, 10));
    process.send!({ opened, synced: synced - base.synced, failed: failed - base.failed });
  } else if (msg.cmd === 'close') {
    for (const c of calls) c.cancel();
    for (const c of clients) c.close();
    process.send!({ closed: true });
  }
});
// A CPU profile of this process on command (the parent profiles one load process per change).
let inspector: Session | undefined;
const post = (method: string, params?: object) =>
  new Promise<unknown>((resolve, reject) =>
    inspector!.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res))),
  );

process.on('message', async (msg: LoadCommand) => {
  if (msg.cmd === 'cpu') {
    process.send!({ cpuMs: cpuMs() });
  } else if (msg.cmd === 'received') {
    process.send!({ receivedAt: receivedAt.get(`${msg.address} ${msg.typeUrl} ${msg.version}`) ?? [] });
  } else if (msg.cmd === 'profile' && msg.action === 'start') {
    inspector ??= new Session();
    inspector.connect();
    await post('Profiler.enable');
    await post('Profiler.start');
    process.send!({ profiling: true });
  } else if (msg.cmd === 'profile' && msg.action === 'stop') {
    const { profile } = (await post('Profiler.stop')) as { profile: unknown };
    writeFileSync(msg.file, JSON.stringify(profile));
    inspector!.disconnect();
    process.send!({ profiled: msg.file });
  }
});
process.send!({ ready: true });
