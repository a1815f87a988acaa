// The source of one message type's writer for the memo encoder (memo-encoder.ts), generated
// from its descriptor: the fields in number order, each with protobuf-es's presence test and
// scalar encoding (to-binary.js), sub-messages either walked (W[k]) or written from the memo
// (memo(d, value)). Every name and number in the source comes from the descriptor and is
// written as a JSON string or an integer. A field the writer leaves to toBinary calls NH() when
// it is set, which throws NotHandled.
import { type DescField, type DescMessage, ScalarType } from '@bufbuild/protobuf';
import { WireType } from '@bufbuild/protobuf/wire';
import { isWrapperDesc } from '@bufbuild/protobuf/wkt';

// FeatureSet.FieldPresence values (descriptor.proto).
const IMPLICIT = 2;
const LEGACY_REQUIRED = 3;

export interface Slots {
  /** The writer slot of a walked type; undefined when the type is memoized instead. */
  walked(desc: DescMessage): number | undefined;
  /** The descriptor slot of a memoized type. */
  memoized(desc: DescMessage): number;
}

const q = JSON.stringify;

/** The Sink call writing scalar `x` of this type, or undefined when left to toBinary. */
function scalarCall(type: ScalarType, x: string): string | undefined {
  switch (type) {
    case ScalarType.STRING:
      return `.string(${x})`;
    case ScalarType.BOOL:
      return `.bool(${x})`;
    case ScalarType.INT32:
      return `.int32(${x})`;
    case ScalarType.UINT32:
      return `.uint32(${x})`;
    case ScalarType.BYTES:
      return `.bytes(${x})`;
    default:
      return undefined;
  }
}

function wireTypeOf(type: ScalarType): number {
  switch (type) {
    case ScalarType.BYTES:
    case ScalarType.STRING:
      return WireType.LengthDelimited;
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return WireType.Bit64;
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
    case ScalarType.FLOAT:
      return WireType.Bit32;
    default:
      return WireType.Varint;
  }
}

/** A statement writing scalar `x` under field `no`. */
function scalarStatement(type: ScalarType, no: number, x: string): string {
  const call = scalarCall(type, x);
  return call ? `w.tag(${no}, ${wireTypeOf(type)})${call};` : 'NH();';
}

/** protobuf-es's "not the zero value" test for implicit presence (isScalarZeroValue). */
function nonZero(field: DescField & { fieldKind: 'scalar' | 'enum' }, x: string): string {
  if (field.fieldKind === 'enum') return `${x} !== ${field.enum.values[0]!.number}`;
  switch (field.scalar) {
    case ScalarType.BOOL:
      return `${x} !== false`;
    case ScalarType.STRING:
      return `${x} !== ""`;
    case ScalarType.BYTES:
      return `(!(${x} instanceof Uint8Array) || ${x}.byteLength > 0)`;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return `!Object.is(${x}, 0)`;
    default:
      // Loose, as in protobuf-es: 0, 0n and "0" are all zero.
      return `${x} != 0`;
  }
}

/** A statement writing message value `x` of type `desc` under field `no`. */
function messageStatement(desc: DescMessage, no: number, x: string, slots: Slots): string {
  // A Struct field holds a JsonObject, which toBinary converts: left to it.
  if (desc.typeName === 'google.protobuf.Struct') return 'NH();';
  const k = slots.walked(desc);
  if (k !== undefined) return `w.tag(${no}, 2).fork(); W[${k}](w, ${x}); w.join();`;
  return `w.tag(${no}, 2).bytes(memo(${slots.memoized(desc)}, ${x}));`;
}

function fieldSource(field: DescField, slots: Slots): string {
  const no = field.number;
  const get = `m[${q(field.localName)}]`;
  if ('delimitedEncoding' in field && field.delimitedEncoding) return `if (${get} !== undefined) NH();`;
  switch (field.fieldKind) {
    case 'list': {
      if (field.listKind === 'message')
        return `{ const xs = ${get}; for (let i = 0; i < xs.length; i++) { ${messageStatement(field.message, no, 'xs[i]', slots)} } }`;
      const type = field.listKind === 'enum' ? ScalarType.INT32 : field.scalar;
      const call = scalarCall(type, 'xs[i]');
      if (!call) return `if (${get}.length > 0) NH();`;
      if (field.packed)
        return `{ const xs = ${get}; if (xs.length > 0) { w.tag(${no}, 2).fork(); for (let i = 0; i < xs.length; i++) w${call}; w.join(); } }`;
      return `{ const xs = ${get}; for (let i = 0; i < xs.length; i++) ${scalarStatement(type, no, 'xs[i]')} }`;
    }
    case 'map': {
      let value: string;
      if (field.mapKind === 'message') value = messageStatement(field.message, 2, 'r[k]', slots);
      else value = scalarStatement(field.mapKind === 'enum' ? ScalarType.INT32 : field.scalar, 2, 'r[k]');
      if (field.mapKey !== ScalarType.STRING) return `if (Object.keys(${get}).length > 0) NH();`;
      return `{ const r = ${get}; const ks = Object.keys(r); for (let i = 0; i < ks.length; i++) { const k = ks[i]; w.tag(${no}, 2).fork(); w.tag(1, 2).string(k); ${value} w.join(); } }`;
    }
    default:
      break;
  }
  let write: string;
  if (field.fieldKind === 'message') {
    const m = field.message;
    if (!field.oneof && isWrapperDesc(m)) {
      // A singular wrapper field holds the bare value (protobuf-es unboxes it); toBinary writes
      // the wrapper with its value field, left out when zero.
      const inner = m.fields[0]! as DescField & { fieldKind: 'scalar' };
      write = `w.tag(${no}, 2).fork(); if (${nonZero(inner, 'x')}) ${scalarStatement(inner.scalar, 1, 'x')} w.join();`;
    } else write = messageStatement(m, no, 'x', slots);
  } else write = scalarStatement(field.fieldKind === 'enum' ? ScalarType.INT32 : field.scalar, no, 'x');
  if (field.oneof) {
    const o = `m[${q(field.oneof.localName)}]`;
    return `if (${o}.case === ${q(field.localName)}) { const x = ${o}.value; ${write} }`;
  }
  if (field.presence === LEGACY_REQUIRED) return 'NH();';
  if (field.presence !== IMPLICIT || field.fieldKind === 'message')
    return `{ const x = ${get}; if (x !== undefined && hasOwn(m, ${q(field.localName)})) { ${write} } }`;
  return `{ const x = ${get}; if (${nonZero(field, 'x')}) { ${write} } }`;
}

/** The body of `new Function('W', 'memo', 'NH', 'hasOwn', body)`, which returns the writer. */
export function writerSource(desc: DescMessage, slots: Slots): string {
  const fields = [...desc.fields].sort((a, b) => a.number - b.number);
  const lines = [
    'return function write(w, m) {',
    // toBinary refuses a message of another type (ForeignFieldError).
    fields.length > 0 ? `if (m.$typeName !== ${q(desc.typeName)}) NH();` : '',
    ...fields.map((f) => fieldSource(f, slots)),
    'const u = m.$unknown;',
    'if (u !== undefined) for (let i = 0; i < u.length; i++) w.tag(u[i].no, u[i].wireType).raw(u[i].data);',
    '};',
  ];
  return lines.join('\n');
}
