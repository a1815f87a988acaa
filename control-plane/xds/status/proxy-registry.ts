// Who is connected and how in sync each one is: per stream the node, flavor, client library and
// protocol, and per type the version sent, the version ACKed and the last NACK. NACKs are also remembered per node
// id after the stream goes, so an operator still sees why a proxy rejected a push.
import { RESOURCE_TYPES, type TypeUrl } from '../resource-types.js';
import type { StreamContext, XdsCallbacks } from '../server/stream-context.js';
import { sanitizeNackText } from './nack-text.js';

export interface NackRecord {
  readonly version: string;
  readonly message: string;
  readonly at: string;
}

export interface TypeSyncStatus {
  sent?: string;
  acked?: string;
  pushes: number;
  nacks: number;
  lastNack?: NackRecord;
}

export interface ProxyStatus {
  readonly stream: number;
  readonly nodeId: string;
  readonly cluster: string;
  readonly flavor: string;
  /** Client library family and version, e.g. `c-core` / `29.0.0 Python 1.51.1`. */
  readonly client: { readonly family: string; readonly version: string };
  readonly protocol: string;
  readonly peer: string;
  readonly group: string;
  readonly connectedSince: string;
  readonly types: Record<string, TypeSyncStatus>;
}

/** Remembered nodes with NACKs; beyond this the oldest are forgotten. */
const MAX_REMEMBERED_NODES = 10_000;

export class ProxyRegistry implements XdsCallbacks {
  private live = new Map<number, { ctx: StreamContext; types: Map<TypeUrl, TypeSyncStatus> }>();
  private nacksByNode = new Map<string, Map<string, NackRecord>>();

  constructor(private readonly clock: () => Date = () => new Date()) {}

  onStreamOpen(ctx: StreamContext): void {
    this.live.set(ctx.id, { ctx, types: new Map() });
  }

  onStreamClose(ctx: StreamContext): void {
    this.live.delete(ctx.id);
  }

  private typeStatus(ctx: StreamContext, type: TypeUrl): TypeSyncStatus {
    const entry = this.live.get(ctx.id);
    if (!entry) return { pushes: 0, nacks: 0 };
    const s = entry.types.get(type) ?? { pushes: 0, nacks: 0 };
    entry.types.set(type, s);
    return s;
  }

  onResponse(ctx: StreamContext, type: TypeUrl, version: string): void {
    const s = this.typeStatus(ctx, type);
    s.sent = version;
    s.pushes++;
  }

  onAck(ctx: StreamContext, type: TypeUrl, version: string): void {
    this.typeStatus(ctx, type).acked = version;
  }

  onNack(ctx: StreamContext, type: TypeUrl, rejectedVersion: string, message: string): void {
    const record: NackRecord = {
      version: sanitizeNackText(rejectedVersion, 128),
      message: sanitizeNackText(message),
      at: this.clock().toISOString(),
    };
    const s = this.typeStatus(ctx, type);
    s.nacks++;
    s.lastNack = record;
    const nodeId = ctx.node?.id ?? '';
    const byType = this.nacksByNode.get(nodeId) ?? new Map<string, NackRecord>();
    if (!this.nacksByNode.has(nodeId) && this.nacksByNode.size >= MAX_REMEMBERED_NODES)
      this.nacksByNode.delete(this.nacksByNode.keys().next().value as string);
    this.nacksByNode.set(nodeId, byType);
    byType.set(RESOURCE_TYPES[type].short, record);
  }

  /** Every connected stream, oldest first. */
  list(): ProxyStatus[] {
    return [...this.live.values()].map(({ ctx, types }) => ({
      stream: ctx.id,
      nodeId: ctx.node?.id ?? '',
      cluster: ctx.node?.cluster ?? '',
      flavor: ctx.flavor ?? 'unknown',
      client: { family: ctx.client?.family ?? 'unknown', version: ctx.client?.version ?? '' },
      protocol: ctx.protocol,
      peer: ctx.peer,
      group: ctx.group ?? '',
      connectedSince: new Date(ctx.openedAt).toISOString(),
      types: Object.fromEntries([...types].map(([t, s]) => [RESOURCE_TYPES[t].short, { ...s }])),
    }));
  }

  /** The last NACK per type of a node, also after it disconnected. */
  lastNacks(nodeId: string): Record<string, NackRecord> {
    return Object.fromEntries(this.nacksByNode.get(nodeId) ?? []);
  }

  get size(): number {
    return this.live.size;
  }
}
