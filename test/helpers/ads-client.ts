// A raw ADS client for protocol tests: it sends exactly the requests a test scripts and
// records every response, so each xDS rule can be checked message by message.
import { create, fromBinary, type MessageInitShape } from '@bufbuild/protobuf';
import {
  type ChannelCredentials,
  type ChannelOptions,
  type ClientDuplexStream,
  credentials,
} from '@grpc/grpc-js';
import { typeInfo } from '../../control-plane/xds/resource-types.js';
import { clientConstructor } from '../../kernel/grpc/service-definition.js';
import { type Node, NodeSchema } from '../../protos/gen/envoy/config/core/v3/base_pb.js';
import { AggregatedDiscoveryService } from '../../protos/gen/envoy/service/discovery/v3/ads_pb.js';
import {
  type DeltaDiscoveryRequest,
  DeltaDiscoveryRequestSchema,
  type DeltaDiscoveryResponse,
  type DiscoveryRequest,
  DiscoveryRequestSchema,
  type DiscoveryResponse,
} from '../../protos/gen/envoy/service/discovery/v3/discovery_pb.js';

const AdsClient = clientConstructor(AggregatedDiscoveryService);

class Queue<T> {
  private items: T[] = [];
  private waiters: Array<(v: T) => void> = [];
  readonly all: T[] = [];
  push(v: T): void {
    this.all.push(v);
    const w = this.waiters.shift();
    if (w) w(v);
    else this.items.push(v);
  }
  next(timeoutMs: number, what: string): Promise<T> {
    const v = this.items.shift();
    if (v !== undefined) return Promise.resolve(v);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const waiter = (x: T) => {
        clearTimeout(timer);
        resolve(x);
      };
      this.waiters.push(waiter);
    });
  }
  /** Resolves true if nothing arrives within ms. */
  async quiet(ms: number): Promise<boolean> {
    if (this.items.length) return false;
    const before = this.all.length;
    await new Promise((r) => setTimeout(r, ms));
    return this.all.length === before;
  }
  get pending(): number {
    return this.items.length;
  }
}

export interface TestNode {
  id: string;
  userAgentName?: string;
  /** Node metadata, e.g. `switchyard.role` (docs/XDS.md, "Node roles"). */
  metadata?: Record<string, string>;
}

/** mTLS to the xDS server (test/security); plaintext when absent. */
export interface ConnectOptions {
  readonly credentials?: ChannelCredentials;
  readonly channelOptions?: ChannelOptions;
}

function nodeOf(n: TestNode) {
  return create(NodeSchema, {
    id: n.id,
    cluster: 'test',
    userAgentName: n.userAgentName ?? 'envoy',
    ...(n.metadata ? { metadata: n.metadata } : {}),
  });
}

abstract class BaseClient<Req extends { node?: Node }, Res> {
  protected readonly client: InstanceType<typeof AdsClient>;
  private sentNode = false;
  protected call!: ClientDuplexStream<Req, Res>;
  readonly responses = new Queue<Res>();
  ended = false;
  /** The status that ended the stream, if it ended with an error. */
  error?: { code: number; details: string };
  constructor(
    address: string,
    private readonly node: TestNode,
    connect: ConnectOptions = {},
  ) {
    this.client = new AdsClient(
      address,
      connect.credentials ?? credentials.createInsecure(),
      connect.channelOptions ?? {},
    );
  }
  protected wire(call: ClientDuplexStream<Req, Res>): void {
    this.call = call;
    call.on('data', (r: Res) => this.responses.push(r));
    call.on('error', (e: { code?: number; details?: string }) => {
      this.ended = true;
      this.error = { code: e.code ?? -1, details: e.details ?? '' };
    });
    call.on('end', () => {
      this.ended = true;
    });
  }
  /** Only the first request of a stream carries the node, as Envoy and gRPC send it. */
  protected write(msg: Req): void {
    if (!this.sentNode) {
      msg.node = nodeOf(this.node);
      this.sentNode = true;
    }
    this.call.write(msg);
  }
  next(timeoutMs = 3000): Promise<Res> {
    return this.responses.next(timeoutMs, 'an xDS response');
  }
  quiet(ms = 300): Promise<boolean> {
    return this.responses.quiet(ms);
  }
  close(): void {
    this.call.cancel();
    this.client.close();
  }
}

export class SotwClient extends BaseClient<DiscoveryRequest, DiscoveryResponse> {
  constructor(address: string, node: TestNode, connect: ConnectOptions = {}) {
    super(address, node, connect);
    this.wire((this.client as unknown as { streamAggregatedResources(): never }).streamAggregatedResources());
  }
  send(req: MessageInitShape<typeof DiscoveryRequestSchema>): void {
    this.write(create(DiscoveryRequestSchema, req));
  }
  /** ACK a response: same names, its version and nonce. */
  ack(res: DiscoveryResponse, names: string[] = []): void {
    this.send({
      typeUrl: res.typeUrl,
      versionInfo: res.versionInfo,
      responseNonce: res.nonce,
      resourceNames: names,
    });
  }
  nack(res: DiscoveryResponse, lastGoodVersion: string, message: string, names: string[] = []): void {
    this.send({
      typeUrl: res.typeUrl,
      versionInfo: lastGoodVersion,
      responseNonce: res.nonce,
      resourceNames: names,
      errorDetail: { code: 3, message },
    });
  }
}

export class DeltaClient extends BaseClient<DeltaDiscoveryRequest, DeltaDiscoveryResponse> {
  constructor(address: string, node: TestNode, connect: ConnectOptions = {}) {
    super(address, node, connect);
    this.wire((this.client as unknown as { deltaAggregatedResources(): never }).deltaAggregatedResources());
  }
  send(req: MessageInitShape<typeof DeltaDiscoveryRequestSchema>): void {
    this.write(create(DeltaDiscoveryRequestSchema, req));
  }
  ack(res: DeltaDiscoveryResponse): void {
    this.send({ typeUrl: res.typeUrl, responseNonce: res.nonce });
  }
}

/** The name of an encoded resource of a type this server serves. */
export function resourceName(typeUrl: string, bytes: Uint8Array): string {
  const m = fromBinary(typeInfo(typeUrl).schema, bytes) as unknown as { name?: string; clusterName?: string };
  return m.clusterName ?? m.name ?? '';
}

/** Names of the resources in a SotW response. */
export function namesOf(res: DiscoveryResponse): string[] {
  return res.resources.map((a) => resourceName(a.typeUrl, a.value));
}
