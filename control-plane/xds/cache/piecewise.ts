// Encodes a RouteConfiguration from cached pieces. The Envoy gateway's route configuration holds
// every model's virtual host and routes, so encoding it whole costs time in proportion to the
// number of models on every publish, even when one model changed. Protobuf's wire format makes
// the pieces composable: a message is its fields in field-number order (protobuf-es writes them
// so), and a repeated message field is the concatenation of its elements, each framed as
// tag + length + bytes. So the bytes are: the fields numbered before the repeated field, the
// framed elements (each cached by message identity: the translator hands back the same objects
// for unchanged models), then the fields numbered after it. Byte-identical to toBinary
// (piecewise.test.ts checks it).
import { create, type DescField, type DescMessage, type Message, toBinary } from '@bufbuild/protobuf';
import { WireType } from '@bufbuild/protobuf/wire';
import { varintLength, writeVarint } from '../../../kernel/wire/varint.js';
import type { Route, VirtualHost } from '../../../protos/gen/envoy/config/route/v3/route_components_pb.js';
import { VirtualHostSchema } from '../../../protos/gen/envoy/config/route/v3/route_components_pb.js';
import {
  type RouteConfiguration,
  RouteConfigurationSchema,
} from '../../../protos/gen/envoy/config/route/v3/route_pb.js';
import { MemoEncoder } from '../../translate/encode/memo-encoder.js';
import { routeBytes } from '../../translate/encode/route-list.js';
import { routeClusters } from '../../validate/references.js';

function field(schema: DescMessage, localName: string): DescField {
  const f = schema.fields.find((x) => x.localName === localName);
  if (!f) throw new Error(`${schema.typeName} has no field ${localName}`);
  return f;
}

const VIRTUAL_HOSTS = field(RouteConfigurationSchema, 'virtualHosts');
const ROUTES = field(VirtualHostSchema, 'routes');

/** `msg` with only the fields numbered below `target` set (the others at their defaults). */
function fieldsBelow(schema: DescMessage, msg: Message, target: DescField): Message {
  const out = create(schema) as unknown as Record<string, unknown>;
  const src = msg as unknown as Record<string, unknown>;
  for (const f of schema.fields) {
    if (f.number >= target.number) continue;
    if (f.oneof) {
      const v = src[f.oneof.localName] as { case?: string };
      if (v?.case === f.localName) out[f.oneof.localName] = v;
    } else out[f.localName] = src[f.localName];
  }
  return out as unknown as Message;
}

/** Reads a varint at `at`: [value, offset after it]. */
function readVarint(bytes: Uint8Array, at: number): [number, number] {
  let n = 0;
  let scale = 1;
  let b: number;
  do {
    b = bytes[at++]!;
    n += (b & 0x7f) * scale;
    scale *= 128;
  } while (b & 0x80 && at < bytes.length);
  return [n, at];
}

/**
 * Where the fields numbered `number` and above begin in a message's encoding, whose known fields
 * are in number order (as toBinary writes them). Reading the tags and skipping the fields is
 * what encoding the fields below a second time cost a third of a virtual host's time.
 */
function offsetOfField(bytes: Uint8Array, number: number): number {
  let at = 0;
  while (at < bytes.length) {
    const [tag, next] = readVarint(bytes, at);
    if (Math.floor(tag / 8) >= number) return at;
    switch (tag % 8) {
      case WireType.Varint:
        at = readVarint(bytes, next)[1];
        break;
      case WireType.Bit64:
        at = next + 8;
        break;
      case WireType.LengthDelimited: {
        const [len, body] = readVarint(bytes, next);
        at = body + len;
        break;
      }
      case WireType.Bit32:
        at = next + 4;
        break;
      default:
        // Groups: toBinary writes none for these messages.
        throw new Error(`unexpected wire type ${tag % 8} at byte ${at}`);
    }
  }
  return at;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// Virtual hosts without their routes: each is a host's name and domains around sub-messages
// that models share (retry policies, per-filter configs), so written as cluster and route
// fields are, by the memo encoder; it leaves the route configuration (one per group) to toBinary.
const hostEncoder = new MemoEncoder(new Set([VirtualHostSchema.typeName]));

/** `msg` encoded with the repeated message field `target` replaced by pre-framed elements. */
function assemble(schema: DescMessage, msg: Message, target: DescField, framed: Uint8Array[]): Uint8Array {
  const emptied = { ...msg, [target.localName]: [] } as Message;
  const without = hostEncoder.encode(schema, emptied);
  // Unknown fields come last whatever their numbers, so past them the tags do not tell where
  // the target's elements go; encoding the fields below the target does.
  const unknown = (msg as { $unknown?: unknown[] }).$unknown;
  const split = unknown?.length
    ? toBinary(schema, fieldsBelow(schema, msg, target)).length
    : offsetOfField(without, target.number);
  return concat([without.subarray(0, split), ...framed, without.subarray(split)]);
}

/** `bytes` as one element of the repeated field `target`: its tag, its length, then itself. */
function frame(target: DescField, bytes: Uint8Array): Uint8Array {
  const tag = target.number * 8 + WireType.LengthDelimited;
  const head = varintLength(tag) + varintLength(bytes.length);
  const out = new Uint8Array(head + bytes.length);
  writeVarint(out, writeVarint(out, 0, tag), bytes.length);
  out.set(bytes, head);
  return out;
}

/**
 * Framed encodings and cluster references of virtual hosts and routes, by message identity.
 * Owned by one SnapshotEncoder (so by the publisher); a WeakMap forgets what no message holds.
 */
export class RouteConfigEncoder {
  private framedHosts = new WeakMap<VirtualHost, Uint8Array>();
  private framedRoutes = new WeakMap<Route, Uint8Array>();
  private hostRefs = new WeakMap<VirtualHost, readonly string[]>();
  private routeRefs = new WeakMap<Route, readonly string[]>();

  encode(rc: RouteConfiguration): Uint8Array {
    return assemble(
      RouteConfigurationSchema,
      rc,
      VIRTUAL_HOSTS,
      rc.virtualHosts.map((vh) => this.framedHost(vh)),
    );
  }

  /**
   * Encodes the routes of `rc` that are not cached yet, with the clusters each routes to,
   * yielding after each, so that `encode` and `clusters` then only assemble cached pieces. A
   * model at the policy limits has routes that split over dozens of clusters each: encoding its
   * route configuration in one step held the event loop for tens of milliseconds.
   */
  *warmSteps(rc: RouteConfiguration): Generator<void, void> {
    for (const vh of rc.virtualHosts) {
      if (this.framedHosts.has(vh) && this.hostRefs.has(vh)) continue;
      for (const r of vh.routes) {
        if (this.framedRoutes.has(r) && this.routeRefs.has(r)) continue;
        this.framedRoute(r);
        this.refsOfRoute(r);
        yield;
      }
    }
  }

  /** The clusters `rc` routes to (as routeClusters), from per-host and per-route pieces. */
  clusters(rc: RouteConfiguration): string[] {
    const out = new Set<string>();
    for (const vh of rc.virtualHosts) for (const c of this.refsOfHost(vh)) out.add(c);
    return [...out].sort();
  }

  private framedHost(vh: VirtualHost): Uint8Array {
    let bytes = this.framedHosts.get(vh);
    if (!bytes) {
      const inner = assemble(
        VirtualHostSchema,
        vh,
        ROUTES,
        vh.routes.map((r) => this.framedRoute(r)),
      );
      bytes = frame(VIRTUAL_HOSTS, inner);
      this.framedHosts.set(vh, bytes);
    }
    return bytes;
  }

  private framedRoute(r: Route): Uint8Array {
    let bytes = this.framedRoutes.get(r);
    if (!bytes) {
      // The memo encoder: toBinary's bytes, with the sub-messages models share encoded once.
      bytes = frame(ROUTES, routeBytes(r));
      this.framedRoutes.set(r, bytes);
    }
    return bytes;
  }

  private refsOfHost(vh: VirtualHost): readonly string[] {
    let refs = this.hostRefs.get(vh);
    if (!refs) {
      const out: string[] = [];
      for (const r of vh.routes) for (const c of this.refsOfRoute(r)) out.push(c);
      refs = out;
      this.hostRefs.set(vh, refs);
    }
    return refs;
  }

  private refsOfRoute(r: Route): readonly string[] {
    let refs = this.routeRefs.get(r);
    if (!refs) {
      refs = routeClusters({ virtualHosts: [{ routes: [r] } as unknown as VirtualHost] });
      this.routeRefs.set(r, refs);
    }
    return refs;
  }
}
