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
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import type { Route, VirtualHost } from '../../../protos/gen/envoy/config/route/v3/route_components_pb.js';
import { VirtualHostSchema } from '../../../protos/gen/envoy/config/route/v3/route_components_pb.js';
import {
  type RouteConfiguration,
  RouteConfigurationSchema,
} from '../../../protos/gen/envoy/config/route/v3/route_pb.js';
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

/** `msg` encoded with the repeated message field `target` replaced by pre-framed elements. */
function assemble(schema: DescMessage, msg: Message, target: DescField, framed: Uint8Array[]): Uint8Array {
  const without = toBinary(schema, { ...msg, [target.localName]: [] } as Message);
  const split = toBinary(schema, fieldsBelow(schema, msg, target)).length;
  return concat([without.subarray(0, split), ...framed, without.subarray(split)]);
}

function frame(target: DescField, bytes: Uint8Array): Uint8Array {
  const head = new BinaryWriter().tag(target.number, WireType.LengthDelimited).uint32(bytes.length).finish();
  return concat([head, bytes]);
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
