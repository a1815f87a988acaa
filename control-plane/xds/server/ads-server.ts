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
} from '@grpc/grpc-js';
import type { Node } from '../../../protos/gen/envoy/config/core/v3/base_pb.js';
import { AggregatedDiscoveryService } from '../../../protos/gen/envoy/service/discovery/v3/ads_pb.js';
import type {
  DeltaDiscoveryRequest,
  DeltaDiscoveryResponse,
  DiscoveryRequest,
} from '../../../protos/gen/envoy/service/discovery/v3/discovery_pb.js';
import { UnavailableError } from '../../errors/index.js';
import { serviceDefinition } from '../../grpc/service-definition.js';
import type { SnapshotCache } from '../cache/snapshot-cache.js';
import { clientOf } from './client-family.js';
import { DeltaStream } from './delta-stream.js';
import type { ResourceFilter } from './desired.js';
import { isPreEncoded, type PreEncodedResponse } from './encoded-response.js';
import { Fanout } from './fanout.js';
import { defaultGroupOf, nodeFlavor } from './node-flavor.js';
import { SotwStream } from './sotw-stream.js';
import type { StreamHost } from './stream-base.js';
import type { StreamContext, XdsCallbacks, XdsProtocol } from './stream-context.js';

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
  readonly now?: () => number;
}

type Stream = SotwStream | DeltaStream;

export type Admission =
  | { readonly ok: true; readonly identity?: string }
  | { readonly ok: false; readonly code: number; readonly reason: string };

/** The generated ADS definition, with SotW responses accepted already encoded. */
function adsDefinition(): ServiceDefinition {
  const def = serviceDefinition(AggregatedDiscoveryService) as unknown as Record<
    string,
    { responseSerialize: (m: unknown) => Buffer }
  >;
  const sotw = def.streamAggregatedResources!;
  const generic = sotw.responseSerialize;
  sotw.responseSerialize = (m: unknown) => (isPreEncoded(m) ? m.preEncoded : generic(m));
  return def as unknown as ServiceDefinition;
}

export class XdsServer {
  private readonly server: Server;
  private readonly streams = new Map<number, Stream>();
  private nextId = 0;
  private readonly fanout = new Fanout();
  private readonly host: StreamHost;
  private port = 0;

  constructor(private readonly opts: XdsServerOptions) {
    this.server = new Server({
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
        const stop = opts.cache.watch(ctx.group, (s) => this.fanout.push(ctx.id, () => onSnapshot(s)));
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
        this.serve(call, 'sotw', (ctx) => new SotwStream(ctx, this.host, (r) => call.write(r))),
      deltaAggregatedResources: (call: ServerDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>) =>
        this.serve(call, 'delta', (ctx) => new DeltaStream(ctx, this.host, (r) => call.write(r))),
    });
  }

  private readonly detachers = new Map<number, () => void>();

  private serve<Req, Res>(
    call: ServerDuplexStream<Req, Res>,
    protocol: XdsProtocol,
    make: (ctx: StreamContext) => { onRequest(r: Req): void; close(): void },
  ): void {
    const ctx: StreamContext = { id: ++this.nextId, protocol, peer: call.getPeer(), openedAt: Date.now() };
    const stream = make(ctx);
    this.streams.set(ctx.id, stream as Stream);
    this.opts.callbacks?.onStreamOpen?.(ctx);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      stream.close();
      this.streams.delete(ctx.id);
      this.detachers.get(ctx.id)?.();
      this.detachers.delete(ctx.id);
      this.opts.callbacks?.onStreamClose?.(ctx);
    };
    // Read once: the connection and its certificate do not change during the stream.
    const peer = this.opts.admit ? call.getAuthContext()?.sslPeerCertificate : undefined;
    let admitted = !this.opts.admit;
    let refused = false;
    call.on('data', (req: Req) => {
      if (refused) return;
      if (!admitted) {
        const verdict = this.opts.admit!(ctx, (req as { node?: Node }).node, peer);
        if (!verdict.ok) {
          refused = true;
          this.opts.callbacks?.onStreamRefused?.(ctx, verdict.code, verdict.reason);
          // grpc-js turns an 'error' on a server stream into the call's final status.
          call.emit(
            'error',
            Object.assign(new Error(verdict.reason), { code: verdict.code, details: verdict.reason }),
          );
          return;
        }
        if (verdict.identity) ctx.identity = verdict.identity;
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

  /** Graceful stop: streams are cancelled (proxies reconnect elsewhere), then the port closes. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.tryShutdown(() => resolve());
      // Long-lived ADS streams never finish by themselves.
      setImmediate(() => this.server.forceShutdown());
    });
  }
}
