// What the server knows about one ADS stream, and the hooks it reports through (go-control-plane's
// callbacks): the proxy registry and the metrics are both just XdsCallbacks.
import type { Node } from '../../../protos/gen/envoy/config/core/v3/base_pb.js';
import type { ClientInfo } from '../../translate/capabilities.js';
import type { Flavor } from '../../translate/types.js';
import type { TypeUrl } from '../resource-types.js';

export type XdsProtocol = 'sotw' | 'delta';

export interface StreamContext {
  readonly id: number;
  readonly protocol: XdsProtocol;
  readonly peer: string;
  readonly openedAt: number;
  /** Set by the first request (only the first request is required to carry the node). */
  node?: Node;
  flavor?: Flavor;
  /** Client library family and version, from the node's user agent. */
  client?: ClientInfo;
  group?: string;
  /** SPIFFE ID of the verified client certificate (mTLS listeners); set before the group. */
  identity?: string;
}

export interface XdsCallbacks {
  onStreamOpen?(ctx: StreamContext): void;
  /** The first request arrived: node, flavor and group are known. */
  onNodeIdentified?(ctx: StreamContext): void;
  onStreamClose?(ctx: StreamContext): void;
  /** The stream was refused before it got anything (node id vs certificate, allow-list). */
  onStreamRefused?(ctx: StreamContext, code: number, reason: string): void;
  onResponse?(ctx: StreamContext, type: TypeUrl, version: string, resources: number, nonce: string): void;
  onAck?(ctx: StreamContext, type: TypeUrl, version: string, latencyMs: number): void;
  /** `rejected`: the names the NACKed response carried (what this stream subscribed to and got). */
  onNack?(
    ctx: StreamContext,
    type: TypeUrl,
    rejectedVersion: string,
    message: string,
    rejected: readonly string[],
  ): void;
  onStaleNonce?(ctx: StreamContext, type: TypeUrl, nonce: string): void;
  onUnknownType?(ctx: StreamContext, typeUrl: string): void;
  /** The stream left its responses unread past the slow-reader timeout and was closed. */
  onSlowReaderClosed?(ctx: StreamContext, unflushed: number): void;
}

/** Fan one event out to several callback sets. */
export function combineCallbacks(...all: XdsCallbacks[]): Required<XdsCallbacks> {
  const fan =
    <K extends keyof XdsCallbacks>(k: K) =>
    (...args: Parameters<NonNullable<XdsCallbacks[K]>>) => {
      for (const c of all) (c[k] as ((...a: unknown[]) => void) | undefined)?.(...args);
    };
  return {
    onStreamOpen: fan('onStreamOpen'),
    onNodeIdentified: fan('onNodeIdentified'),
    onStreamClose: fan('onStreamClose'),
    onStreamRefused: fan('onStreamRefused'),
    onResponse: fan('onResponse'),
    onAck: fan('onAck'),
    onNack: fan('onNack'),
    onStaleNonce: fan('onStaleNonce'),
    onUnknownType: fan('onUnknownType'),
    onSlowReaderClosed: fan('onSlowReaderClosed'),
  };
}

let nonceCounter = 0;
const noncePrefix = Math.floor(Math.random() * 0xffffff).toString(36);

/** A nonce never used before by this process (rule 1: fresh per response and type). */
export function nextNonce(): string {
  nonceCounter++;
  return `${noncePrefix}-${nonceCounter.toString(36)}`;
}
