// A ClusterLoadAssignment written straight from the endpoints it keeps, as toBinary writes the
// message endpoints.ts would build for them, without building it: an assignment as messages is
// six objects per endpoint, and at 10,000 models those were over half of a translation's retained
// heap and of the garbage collector's copying. Fields go in number order with protobuf-es's
// presence rules: every locality carries its Locality message (its empty strings left out), an
// endpoint its address, port (a oneof member: written even when 0), health (left out when
// UNKNOWN, the zero value), the TLS match metadata where it has one, and its weight as a
// UInt32Value (the wrapper always, its value when not 0); a locality its weight only where the
// flavor sets one, and its priority when not 0.
//
// Only an assignment whose every value passes the PGV rules of what it writes is written here
// (a non-empty cluster name and address, a port up to 65535, endpoint and locality weights from
// 1 to 2^32 - 1, a known health); anything else is left to the message builder, so the checker
// names the fault exactly as before (docs/TRANSLATION.md, "Assignments as bytes").

import { varintLength, writeVarint } from '../../../kernel/wire/varint.js';
import type { Kept } from '../kept.js';
import { HEALTH, localityEnds } from '../kept.js';
import { allocate } from './slab.js';

const UINT32_MAX = 0xffff_ffff;
const utf8 = new TextEncoder();

function isWeight(w: unknown): w is number {
  return typeof w === 'number' && Number.isInteger(w) && w >= 1 && w <= UINT32_MAX;
}

function isLabel(s: unknown): boolean {
  return s === undefined || typeof s === 'string';
}

/** A length-delimited field of `size` content bytes under a one-byte tag, framed. */
function framed(size: number): number {
  return 1 + varintLength(size) + size;
}

/** The UTF-8 length of `s` as TextEncoder writes it (a lone surrogate becomes U+FFFD). */
function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2; // a pair: two UTF-16 units, four bytes
      i++;
    } else n += 2;
  }
  return n;
}

// Per endpoint of the assignment being written: its address's UTF-8 length and the sizes of
// its SocketAddress and LbEndpoint contents; per locality, its content size and its labels'
// UTF-8 lengths: from the sizing pass to the writing pass.
let addressLength = new Int32Array(64);
let socketSize = new Int32Array(64);
let endpointSize = new Int32Array(64);
let groupSize = new Int32Array(64 * 4);
let groupEnd = new Int32Array(64);

function scratch(n: number): void {
  if (n <= addressLength.length) return;
  const len = Math.max(n, addressLength.length * 2);
  addressLength = new Int32Array(len);
  socketSize = new Int32Array(len);
  endpointSize = new Int32Array(len);
  groupSize = new Int32Array(len * 4);
  groupEnd = new Int32Array(len);
}

// The writers take and return the position, so the buffer and position stay the caller's locals.
/** `s` of UTF-8 length `n`, length-prefixed. */
function string(buf: Uint8Array, pos: number, s: string, n: number): number {
  pos = writeVarint(buf, pos, n);
  if (n === s.length) {
    for (let i = 0; i < n; i++) buf[pos++] = s.charCodeAt(i);
    return pos;
  }
  utf8.encodeInto(s, buf.subarray(pos, pos + n));
  return pos + n;
}

/**
 * Whether every value an endpoint would carry passes its PGV rules (see the top); the locality
 * weights' bound is checked as they are summed.
 */
function writable(name: string, kept: Kept, weighted: boolean): boolean {
  if (typeof name !== 'string' || name === '') return false;
  const { list, subZone, port } = kept;
  for (let i = 0; i < list.length; i++) {
    const e = list[i]!;
    if (typeof e.address !== 'string' || e.address === '') return false;
    const p = port[i];
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p > 65_535) return false;
    if (!Object.hasOwn(HEALTH, e.health) || !isLabel(e.region) || !isLabel(e.zone)) return false;
    if (typeof subZone[i] !== 'string') return false;
    if (weighted && !isWeight(e.weight ?? 1)) return false;
  }
  return true;
}

/**
 * The bytes of the assignment named `name` over `kept` (sorted), or undefined when a value is
 * outside its rules. `tlsMetadata`: the encoded match metadata an endpoint accepting mTLS
 * carries (PERMISSIVE), else undefined; `weighted`: endpoints carry their own weight (else 1);
 * `localityWeights`: each locality carries the sum of its endpoints' weights (gRPC). Sized
 * first, then written into a buffer of exactly that size: no length is moved after the fact.
 * `portAt`: receives, per endpoint of `kept`, where its port's varint starts (withPorts).
 */
export function assignmentBytes(
  name: string,
  kept: Kept,
  tlsMetadata: Uint8Array | undefined,
  weighted: boolean,
  localityWeights: boolean,
  portAt?: Int32Array,
): Uint8Array | undefined {
  if (!writable(name, kept, weighted)) return undefined;
  const { list, priority, subZone, port } = kept;
  const n = list.length;
  scratch(n);
  const nameLength = utf8Length(name);
  let total = framed(nameLength);
  // Sizing pass. groupSize holds, per locality: content size, region, zone and sub-zone lengths.
  const groups = localityEnds(kept, groupEnd);
  for (let g = 0, start = 0; g < groups; g++) {
    const end = groupEnd[g]!;
    const first = list[start]!;
    const r = first.region ? utf8Length(first.region) : 0;
    const z = first.zone ? utf8Length(first.zone) : 0;
    const sz = utf8Length(subZone[start]!);
    let size = framed((r ? framed(r) : 0) + (z ? framed(z) : 0) + (sz ? framed(sz) : 0));
    let sum = 0;
    for (let i = start; i < end; i++) {
      const e = list[i]!;
      const weight = weighted ? (e.weight ?? 1) : 1;
      sum += weight;
      const a = utf8Length(e.address);
      addressLength[i] = a;
      const socket = framed(a) + 1 + varintLength(port[i]!);
      socketSize[i] = socket;
      const lb =
        framed(framed(framed(socket))) +
        (e.health !== 'UNKNOWN' ? 2 : 0) +
        (tlsMetadata && e.tls ? framed(tlsMetadata.length) : 0) +
        2 +
        1 +
        varintLength(weight);
      endpointSize[i] = lb;
      size += framed(lb);
    }
    if (localityWeights) {
      if (sum > UINT32_MAX) return undefined;
      size += 3 + varintLength(sum);
    }
    if (priority[start] !== 0) size += 1 + varintLength(priority[start]!);
    const k = g * 4;
    groupSize[k] = size;
    groupSize[k + 1] = r;
    groupSize[k + 2] = z;
    groupSize[k + 3] = sz;
    total += framed(size);
    start = end;
  }
  const buf = allocate(total);
  let pos = 0;
  buf[pos++] = 0x0a; // 1: cluster_name
  pos = string(buf, pos, name, nameLength);
  let start = 0;
  for (let g = 0; g < groups * 4; g += 4) {
    const end = groupEnd[g / 4]!;
    buf[pos++] = 0x12; // 2: endpoints
    pos = writeVarint(buf, pos, groupSize[g]!);
    const first = list[start]!;
    const r = groupSize[g + 1]!;
    const z = groupSize[g + 2]!;
    const sz = groupSize[g + 3]!;
    buf[pos++] = 0x0a; // 1: locality
    pos = writeVarint(buf, pos, (r ? framed(r) : 0) + (z ? framed(z) : 0) + (sz ? framed(sz) : 0));
    if (r) {
      buf[pos++] = 0x0a;
      pos = string(buf, pos, first.region!, r);
    }
    if (z) {
      buf[pos++] = 0x12;
      pos = string(buf, pos, first.zone!, z);
    }
    if (sz) {
      buf[pos++] = 0x1a;
      pos = string(buf, pos, subZone[start]!, sz);
    }
    let sum = 0;
    for (let i = start; i < end; i++) {
      const e = list[i]!;
      const weight = weighted ? (e.weight ?? 1) : 1;
      sum += weight;
      const socket = socketSize[i]!;
      buf[pos++] = 0x12; // 2: lb_endpoints
      pos = writeVarint(buf, pos, endpointSize[i]!);
      buf[pos++] = 0x0a; // 1: endpoint
      pos = writeVarint(buf, pos, framed(framed(socket)));
      buf[pos++] = 0x0a; // 1: address
      pos = writeVarint(buf, pos, framed(socket));
      buf[pos++] = 0x0a; // 1: socket_address
      pos = writeVarint(buf, pos, socket);
      buf[pos++] = 0x12; // 2: address
      pos = string(buf, pos, e.address, addressLength[i]!);
      buf[pos++] = 0x18; // 3: port_value
      if (portAt) portAt[i] = pos;
      pos = writeVarint(buf, pos, port[i]!);
      const health = HEALTH[e.health];
      if (health !== 0) {
        buf[pos++] = 0x10; // 2: health_status
        buf[pos++] = health;
      }
      if (tlsMetadata && e.tls) {
        buf[pos++] = 0x1a; // 3: metadata
        pos = writeVarint(buf, pos, tlsMetadata.length);
        buf.set(tlsMetadata, pos);
        pos += tlsMetadata.length;
      }
      buf[pos++] = 0x22; // 4: load_balancing_weight
      buf[pos++] = 1 + varintLength(weight);
      buf[pos++] = 0x08; // 1: value
      pos = writeVarint(buf, pos, weight);
    }
    if (localityWeights) {
      buf[pos++] = 0x1a; // 3: load_balancing_weight
      buf[pos++] = 1 + varintLength(sum);
      buf[pos++] = 0x08;
      pos = writeVarint(buf, pos, sum);
    }
    if (priority[start] !== 0) {
      buf[pos++] = 0x28; // 5: priority
      pos = writeVarint(buf, pos, priority[start]!);
    }
    start = end;
  }
  if (pos !== total) throw new AssignmentSizeError(name, total, pos);
  return buf;
}

/**
 * The assignment `bytes` (written above as `oldName` over endpoints on `oldPorts`, whose
 * positions `portAt` received) as it is written under `name` with endpoint i on `ports[i]`:
 * nothing else in it depends on the name or the ports, so the rest is copied as it is. Only
 * where every new port is valid and takes as many bytes as the old one (no length changes);
 * undefined otherwise, for the caller to write it whole. The Envoy gateway's REST assignment
 * of a version is its gRPC assignment so, on the HTTP ports (endpoints.ts).
 */
export function withPorts(
  bytes: Uint8Array,
  oldName: string,
  name: string,
  portAt: Int32Array,
  oldPorts: readonly number[],
  ports: readonly number[],
): Uint8Array | undefined {
  if (typeof name !== 'string' || name === '') return undefined;
  for (let i = 0; i < ports.length; i++) {
    const p = ports[i]!;
    if (!Number.isInteger(p) || p < 0 || p > 65_535) return undefined;
    if (varintLength(p) !== varintLength(oldPorts[i]!)) return undefined;
  }
  const oldHead = framed(utf8Length(oldName));
  const nameLength = utf8Length(name);
  const head = framed(nameLength);
  const out = allocate(head + bytes.length - oldHead);
  out[0] = 0x0a; // 1: cluster_name
  string(out, 1, name, nameLength);
  out.set(bytes.subarray(oldHead), head);
  const shift = head - oldHead;
  for (let i = 0; i < ports.length; i++) writeVarint(out, portAt[i]! + shift, ports[i]!);
  return out;
}

/** The sizing and the writing passes disagreed: a bug here, never a fault of the input. */
export class AssignmentSizeError extends Error {
  readonly code = 'SY_ASSIGNMENT_SIZE';
  constructor(name: string, sized: number, wrote: number) {
    super(`assignment ${name}: sized ${sized} bytes, wrote ${wrote}`);
    this.name = 'AssignmentSizeError';
  }
}
