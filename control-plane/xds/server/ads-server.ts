// The ADS gRPC service: StreamAggregatedResources (state of the world) and
// DeltaAggregatedResources (incremental) on one grpc-js server. Protocol state lives in the
// stream classes; this file wires calls to them and streams to the snapshot cache.
import type { PeerCertificate } from 'node:tls';
import {
  Server,
  ServerCredentials,
  type ServerDuplexStream,
  type ServerOptions,
  type ServiceDefinition,
  status as Status,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { UnavailableError } from '../../../kernel/errors/index.js';
import { serviceDefinition } from '../../../kernel/grpc/service-definition.js';
import type { Node } from '../../../protos/gen/envoy/config/core/v3/base_pb.js';
import { AggregatedDiscoveryService } from '../../../protos/gen/envoy/service/discovery/v3/ads_pb.js';
import type {
  DeltaDiscoveryRequest,
  DiscoveryRequest,
} from '../../../protos/gen/envoy/service/discovery/v3/discovery_pb.js';
import type { Snapshot } from '../cache/snapshot.js';
import type { SnapshotCache } from '../cache/snapshot-cache.js';
import { clientOf } from './client-family.js';
import { DeltaStream } from './delta-stream.js';
import type { ResourceFilter } from './desired.js';
import { isPreEncoded, type PreEncodedResponse } from './encoded-response.js';
import { Fanout } from './fanout.js';
import { defaultGroupOf, nodeFlavor } from './node-flavor.js';
import { PacedWriter, resetCall } from './paced-writer.js';
import { SotwStream } from './sotw-stream.js';
import type { ResponseSink, StreamHost } from './stream-base.js';
import type { StreamContext, XdsCallbacks, XdsProtocol } from './stream-context.js';
import { ClientStreamCounter, clientKey, DEFAULT_XDS_LIMITS, type XdsLimits } from './stream-limits.js';
import type { NameFilter, ResourceSync, SyncSource } from './stream-sync.js';

export interface XdsServerOptions {
  readonly cache: SnapshotCache;
  readonly callbacks?: XdsCallbacks;
  /** Node group a stream reads; defaults to the node's flavor and capability set. */
  readonly groupOf?: (ctx: StreamContext) => string;
  /** Per-stream resource filter (for SDS: the node's own identity only). */
  readonly filterFor?: (ctx: StreamContext) => ResourceFilter | undefined;
  readonly credentials?: ServerCredentials;
  /**
   * Decides on each stream's first request, before it is attached to a group: the node it
   * claims and the client certificate the TLS layer verified (undefined on a plaintext port or
   * without a certificate). A refused stream is closed with `code` and gets nothing.
   */
  readonly admit?: (
    ctx: StreamContext,
    node: Node | undefined,
    peer: PeerCertificate | undefined,
  ) => Admission;
  readonly grpcOptions?: ServerOptions;
  /** Streams per connection and per client, slow readers; defaults in stream-limits.ts. */
  readonly limits?: Partial<XdsLimits>;
  readonly now?: () => number;
  /** Further gRPC services on the same server and port (the gateway's authorization service). */
  readonly services?: readonly {
    readonly definition: ServiceDefinition;
    readonly implementation: UntypedServiceImplementation;
  }[];
}

type Stream = SotwStream | DeltaStream;

export type Admission =
  | { readonly ok: true; readonly identity?: string }
  | { readonly ok: false; readonly code: number; readonly reason: string };

/** The generated ADS definition, with SotW and delta responses accepted already encoded. */
function adsDefinition(): ServiceDefinition {
  const def = serviceDefinition(AggregatedDiscoveryService) as unknown as Record<
    string,
    { responseSerialize: (m: unknown) => Buffer }
  >;
  for (const method of [def.streamAggregatedResources!, def.deltaAggregatedResources!]) {
    const generic = method.responseSerialize;
    method.responseSerialize = (m: unknown) => (isPreEncoded(m) ? m.preEncoded : generic(m));
  }
  return def as unknown as ServiceDefinition;
}

export class XdsServer {
  private readonly server: Server;
  private readonly streams = new Map<number, Stream>();
  private nextId = 0;
  private readonly fanout = new Fanout();
  private readonly host: StreamHost;
  private port = 0;
  private readonly limits: XdsLimits;
  private readonly perClient: ClientStreamCounter;
  private readonly writers = new Map<number, PacedWriter<unknown>>();

  constructor(private readonly opts: XdsServerOptions) {
    this.limits = { ...DEFAULT_XDS_LIMITS, ...opts.limits };
    this.perClient = new ClientStreamCounter(this.limits.maxStreamsPerClient);
    this.server = new Server({
      // HTTP/2 refuses streams beyond this on one connection (one TCP connection, many streams).
      'grpc.max_concurrent_streams': this.limits.maxStreamsPerConnection,
      // Proxies hold one long stream each; keepalive lets dead peers go without TCP timeouts.
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.max_receive_message_length': 16 * 1024 * 1024,
      ...opts.grpcOptions,
    });
    const callbacks = opts.callbacks ?? {};
    const groupOf = opts.groupOf ?? ((ctx: StreamContext) => defaultGroupOf(ctx.node));
    this.host = {
      callbacks,
      now: opts.now ?? (() => performance.now()),
      ...(opts.filterFor ? { filterFor: opts.filterFor } : {}),
      attach: (ctx, onSnapshot) => {
        ctx.flavor = nodeFlavor(ctx.node);
        ctx.client = clientOf(ctx.node);
        ctx.group = groupOf(ctx);
        // One delivery function per stream, not one closure per stream and snapshot.
        let latest: Snapshot | undefined;
        const deliver = () => latest && onSnapshot(latest);
        const stop = opts.cache.watch(ctx.group, (s) => {
          latest = s;
          this.fanout.push(ctx.id, deliver);
        });
        this.detachers.set(ctx.id, () => {
          stop();
          this.fanout.drop(ctx.id);
        });
        callbacks.onNodeIdentified?.(ctx);
        return opts.cache.get(ctx.group);
      },
    };
    this.server.addService(adsDefinition(), {
      streamAggregatedResources: (call: ServerDuplexStream<DiscoveryRequest, PreEncodedResponse>) =>
        this.serve(call, 'sotw', (ctx, sink) => new SotwStream(ctx, this.host, sink)),
      deltaAggregatedResources: (call: ServerDuplexStream<DeltaDiscoveryRequest, PreEncodedResponse>) =>
        this.serve(call, 'delta', (ctx, sink) => new DeltaStream(ctx, this.host, sink)),
    });
    for (const s of opts.services ?? []) this.server.addService(s.definition, s.implementation);
  }

  private readonly detachers = new Map<number, () => void>();

  private serve<Req, Res>(
    call: ServerDuplexStream<Req, Res>,
    protocol: XdsProtocol,
    make: (
      ctx: StreamContext,
      sink: ResponseSink<Res>,
    ) => { onRequest(r: Req): void; close(): void; resume(): void },
  ): void {
    const ctx: StreamContext = { id: ++this.nextId, protocol, peer: call.getPeer(), openedAt: Date.now() };
    const writer = new PacedWriter<Res>(call, {
      slowReaderTimeoutMs: this.limits.slowReaderTimeoutMs,
      onDrained: () => stream.resume(),
      onSlowReader: () => {
        this.opts.callbacks?.onSlowReaderClosed?.(ctx, writer.pending);
        fail(
          Status.RESOURCE_EXHAUSTED,
          `xDS stream closed: its responses stayed unread for ${this.limits.slowReaderTimeoutMs} ms (slow reader)`,
        );
        resetCall(call);
      },
    });
    const stream = make(ctx, writer);
    this.streams.set(ctx.id, stream as Stream);
    this.writers.set(ctx.id, writer as PacedWriter<unknown>);
    this.opts.callbacks?.onStreamOpen?.(ctx);
    let done = false;
    let slot: string | undefined;
    const finish = () => {
      if (done) return;
      done = true;
      writer.close();
      stream.close();
      if (slot !== undefined) this.perClient.release(slot);
      this.streams.delete(ctx.id);
      this.writers.delete(ctx.id);
      this.detachers.get(ctx.id)?.();
      this.detachers.delete(ctx.id);
      this.opts.callbacks?.onStreamClose?.(ctx);
    };
    // grpc-js turns an 'error' on a server stream into the call's final status.
    const fail = (code: number, reason: string) =>
      call.emit('error', Object.assign(new Error(reason), { code, details: reason }));
    // Read once: the connection and its certificate do not change during the stream.
    const peer = this.opts.admit ? call.getAuthContext()?.sslPeerCertificate : undefined;
    let admitted = false;
    let refused = false;
    call.on('data', (req: Req) => {
      if (refused) return;
      if (!admitted) {
        const node = (req as { node?: Node }).node;
        const verdict = this.opts.admit ? this.opts.admit(ctx, node, peer) : ({ ok: true } as Admission);
        if (verdict.ok && verdict.identity) ctx.identity = verdict.identity;
        const key = clientKey(ctx, node);
        const refusal = !verdict.ok
          ? verdict
          : this.perClient.acquire(key)
            ? undefined
            : {
                code: Status.RESOURCE_EXHAUSTED,
                reason: `xDS stream refused: ${key} already holds ${this.perClient.limit} streams (--xds-max-streams-per-client)`,
              };
        if (refusal) {
          refused = true;
          this.opts.callbacks?.onStreamRefused?.(ctx, refusal.code, refusal.reason);
          fail(refusal.code, refusal.reason);
          return;
        }
        slot = key;
        admitted = true;
      }
      stream.onRequest(req);
    });
    call.on('end', () => {
      finish();
      call.end();
    });
    call.on('error', finish);
    call.on('cancelled', finish);
    call.on('close', finish);
  }

  /**
   * Bind and start; resolves with the bound port (pass 0 for an ephemeral one). `credentials`
   * overrides the server's for this port (an extra plaintext port beside an mTLS one).
   */
  listen(host: string, port: number, credentials?: ServerCredentials): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.bindAsync(
        `${host.includes(':') ? `[${host}]` : host}:${port}`,
        credentials ?? this.opts.credentials ?? ServerCredentials.createInsecure(),
        (err, bound) => {
          if (err)
            reject(new UnavailableError(`xDS server cannot listen on ${host}:${port}: ${err.message}`));
          else {
            if (!this.port) this.port = bound;
            resolve(bound);
          }
        },
      );
    });
  }

  get boundPort(): number {
    return this.port;
  }

  get streamCount(): number {
    return this.streams.size;
  }

  /**
   * Each identified stream with where it stands on the resources `owned` accepts, against its
   * group's current snapshot (not the one it last looked at: a stream still catching up is behind).
   */
  syncStates(owned: NameFilter): Array<{ ctx: StreamContext; resources: ResourceSync[] }> {
    const out: Array<{ ctx: StreamContext; resources: ResourceSync[] }> = [];
    for (const s of this.streams.values()) {
      const snap = s.ctx.group !== undefined ? this.opts.cache.get(s.ctx.group) : undefined;
      if (snap) out.push({ ctx: s.ctx, resources: s.syncOf(snap, owned) });
    }
    return out;
  }

  /** What the server sends each stream of this node now, per type (from the current snapshot). */
  desiredFor(nodeId: string): Array<{ ctx: StreamContext; types: ReturnType<SyncSource['desiredOf']> }> {
    const out: Array<{ ctx: StreamContext; types: ReturnType<SyncSource['desiredOf']> }> = [];
    for (const s of this.streams.values()) {
      if (s.ctx.node?.id !== nodeId || s.ctx.group === undefined) continue;
      const snap = this.opts.cache.get(s.ctx.group);
      if (snap) out.push({ ctx: s.ctx, types: s.desiredOf(snap) });
    }
    return out;
  }

  /** Responses written but not yet flushed by HTTP/2, per open stream id. */
  unflushedResponses(): Map<number, number> {
    return new Map([...this.writers].map(([id, w]) => [id, w.pending]));
  }

  /** Graceful stop: streams are cancelled (proxies reconnect elsewhere), then the port closes. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.tryShutdown(() => resolve());
      // Long-lived ADS streams never finish by themselves.
      setImmediate(() => this.server.forceShutdown());
    });
  }
}
