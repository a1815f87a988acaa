// A protobuf encoder that writes what toBinary writes, byte for byte, but takes the bytes of a
// shared sub-message from a memo. The translator's per-model messages (routes, their matches
// and actions) are mostly fields pointing at sub-messages many models share: retry policies,
// durations, hash policies, filter configs. toBinary re-encodes those for every model; here each
// object is encoded once, by toBinary itself, and its bytes are written again under the next
// tag. Messages of the `walked` types are written field by field as protobuf-es's compiled
// writer does (fields in number order, the same presence rules, the same scalar encodings),
// by a function generated per type from its descriptor (writer-source.ts): a field read with a
// name fixed in the source is a monomorphic property load, where a reflective walk
// (`msg[name]`) is a megamorphic one per field, which made such a walk hardly faster than
// toBinary. Any other message is memoized by object identity, so it must not be mutated once
// encoded (nothing downstream mutates a translated message). Whatever the writer does not handle
// (groups, required fields, Struct fields, non-string map keys, 64-bit and fixed-width numbers,
// a message of the wrong type, an invalid value) makes `encode` fall back to toBinary for the
// whole message, so the answer, or the error, is toBinary's.
import { type DescMessage, type Message, toBinary } from '@bufbuild/protobuf';
import { NotHandled, Sink } from './sink.js';
import { writerSource } from './writer-source.js';

type Write = (w: Sink, msg: unknown) => void;

function notHandled(): never {
  throw new NotHandled();
}

export class MemoEncoder {
  /** The generated writers, by index; `index` maps a walked type to its slot. */
  private readonly writers: Write[] = [];
  private readonly index = new Map<DescMessage, number>();
  /** The descriptors of the memoized (not walked) types, by slot. */
  private readonly descs: DescMessage[] = [];
  private readonly descIndex = new Map<DescMessage, number>();
  private readonly memo = new WeakMap<object, Uint8Array>();
  private readonly sink = new Sink();
  /** How many encodings were left to toBinary (tests: the translator's shapes are walked). */
  fallbacks = 0;

  /** `walked`: the type names written field by field; every other message is memoized. */
  constructor(private readonly walked: ReadonlySet<string>) {}

  /** toBinary(desc, msg), with shared sub-messages written from the memo. */
  encode(desc: DescMessage, msg: Message): Uint8Array {
    if (!this.walked.has(desc.typeName)) return toBinary(desc, msg);
    const w = this.sink;
    w.reset();
    try {
      this.writers[this.slot(desc)]!(w, msg);
    } catch {
      this.fallbacks++;
      // Unhandled shapes and invalid values alike: toBinary's bytes, or toBinary's error.
      return toBinary(desc, msg);
    }
    return w.finish();
  }

  /** The memoized bytes of a message of the memoized type in slot `d`. */
  private readonly bytesOf = (d: number, value: unknown): Uint8Array => {
    if (typeof value !== 'object' || value === null) throw new NotHandled();
    let b = this.memo.get(value);
    if (!b) {
      b = toBinary(this.descs[d]!, value as Message);
      this.memo.set(value, b);
    }
    return b;
  };

  private descSlot(desc: DescMessage): number {
    let d = this.descIndex.get(desc);
    if (d === undefined) {
      d = this.descs.length;
      this.descs.push(desc);
      this.descIndex.set(desc, d);
    }
    return d;
  }

  /** The slot of a walked type's writer, generating it (and those it refers to) on first use. */
  private slot(desc: DescMessage): number {
    let k = this.index.get(desc);
    if (k !== undefined) return k;
    k = this.writers.length;
    this.index.set(desc, k);
    // Reserved first, so recursive types find the slot instead of generating without end.
    this.writers.push(notHandled);
    const source = writerSource(desc, {
      walked: (m) => (this.walked.has(m.typeName) ? this.slot(m) : undefined),
      memoized: (m) => this.descSlot(m),
    });
    // Generated from descriptors only (field names, numbers and types), never from data.
    const make = new Function('W', 'memo', 'NH', 'hasOwn', source) as (
      W: Write[],
      memo: (d: number, v: unknown) => Uint8Array,
      NH: () => never,
      hasOwn: (o: object, k: string) => boolean,
    ) => Write;
    this.writers[k] = make(this.writers, this.bytesOf, notHandled, Object.hasOwn);
    return k;
  }
}
