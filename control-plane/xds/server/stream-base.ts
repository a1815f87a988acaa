// What SotW and delta streams share: the node taken from the first request (rule 6: only the
// first one has to carry it), attaching to the node group's snapshots, ignoring types this
// server does not serve, and re-flushing when a new snapshot arrives. While responses are
// unflushed nothing new is built (see paced-writer.ts); the flush after the drain sends the latest.
import type { Node } from '../../../protos/gen/envoy/config/core/v3/base_pb.js';
import type { Snapshot } from '../cache/snapshot.js';
import { isTypeUrl, type TypeUrl } from '../resource-types.js';
import type { ResourceFilter } from './desired.js';
import type { StreamContext, XdsCallbacks } from './stream-context.js';

export interface StreamHost {
  /** Called once the node is known; returns the group's current snapshot, if any. */
  attach(ctx: StreamContext, onSnapshot: (s: Snapshot) => void): Snapshot | undefined;
  readonly callbacks: XdsCallbacks;
  readonly filterFor?: (ctx: StreamContext) => ResourceFilter | undefined;
  readonly now: () => number;
}

/** Where a stream writes its responses; `busy` while earlier ones are not flushed yet. */
export interface ResponseSink<T> {
  write(msg: T): void;
  readonly busy: boolean;
}

export abstract class AdsStream<TypeState, Response> {
  protected readonly types = new Map<TypeUrl, TypeState>();
  protected snapshot?: Snapshot;
  protected filter?: ResourceFilter;
  protected closed = false;
  /** A flush was skipped while the sink was busy. */
  private deferred = false;

  constructor(
    readonly ctx: StreamContext,
    protected readonly host: StreamHost,
    protected readonly sink: ResponseSink<Response>,
  ) {}

  /** The request's type if it is to be handled; identifies the stream on its first request. */
  protected begin(node: Node | undefined, typeUrl: string): TypeUrl | undefined {
    if (this.closed) return undefined;
    if (!this.ctx.node) {
      if (node) this.ctx.node = node;
      this.snapshot = this.host.attach(this.ctx, (s) => this.onSnapshot(s));
      this.filter = this.host.filterFor?.(this.ctx);
    }
    if (!isTypeUrl(typeUrl)) {
      this.host.callbacks.onUnknownType?.(this.ctx, typeUrl);
      return undefined;
    }
    return typeUrl;
  }

  onSnapshot(snapshot: Snapshot): void {
    if (this.closed) return;
    this.snapshot = snapshot;
    this.flush();
  }

  close(): void {
    this.closed = true;
  }

  /** The sink flushed everything: send what was held back meanwhile. */
  resume(): void {
    if (!this.deferred || this.closed) return;
    this.deferred = false;
    this.flush();
  }

  protected flush(): void {
    if (this.sink.busy) {
      this.deferred = true;
      return;
    }
    this.respond();
  }

  /** Sends what is owed, at most one response per type. */
  protected abstract respond(): void;
}
