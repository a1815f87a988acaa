// One resource type of a built snapshot, kept so that the next build can patch it instead of
// building it again. A type's version hashes every resource's `name NUL version` in sorted
// order, and its resources are a map in name order: both are linear in the type's size, and at
// 10,000 models the assignments alone are 60,000 resources (the xDS-managed pods' listeners one
// per pod address, hundreds of thousands). When a publish replaces a few resources under the
// same names (an endpoint moved, a weight tuned), the new type is the old one with those
// entries replaced: the same map order and the same version bytes as a full build, without the
// sort (docs/XDS.md, "Publishing a small change").
import { contentHash, type EncodedResource, type TypeSnapshot } from './encoded.js';

export interface TypeRecord {
  readonly type: TypeSnapshot;
  /** `name NUL version` of every resource, sorted: what the version hashes. */
  readonly parts: readonly string[];
  /** Position of each name in `parts`, made by the first patch. */
  positions?: Map<string, number>;
}

function part(r: EncodedResource): string {
  return `${r.name}\0${r.version}`;
}

/** Version of a list of resources: stable under reordering. */
export function versionOf(resources: Iterable<EncodedResource>): string {
  return contentHash(sortedParts(resources).join('\n'));
}

function sortedParts(resources: Iterable<EncodedResource>): string[] {
  return [...resources].map(part).sort();
}

/** The type of `list` (unique names), built whole. */
export function wholeType(list: readonly EncodedResource[]): TypeRecord {
  const resources = new Map(
    list.map((r) => [r.name, r] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  const parts = sortedParts(list);
  return { type: { version: contentHash(parts.join('\n')), resources }, parts };
}

function positionsOf(record: TypeRecord): Map<string, number> {
  if (!record.positions) {
    const positions = new Map<string, number>();
    // A version is hexadecimal: the name is everything before the last NUL.
    for (let i = 0; i < record.parts.length; i++) {
      const p = record.parts[i]!;
      positions.set(p.slice(0, p.lastIndexOf('\0')), i);
    }
    record.positions = positions;
  }
  return record.positions;
}

/**
 * `last` with each replacement's resource in place of the one of the same name; undefined when
 * a name is not in `last` or the new entry would not sort where the old one did (a name that
 * holds a NUL), so the caller builds the type whole.
 */
export function patchType(last: TypeRecord, replaced: readonly EncodedResource[]): TypeRecord | undefined {
  const positions = positionsOf(last);
  const parts = last.parts.slice();
  const resources = new Map(last.type.resources);
  const at: number[] = [];
  for (const r of replaced) {
    const i = positions.get(r.name);
    if (i === undefined || !resources.has(r.name)) return undefined;
    parts[i] = part(r);
    at.push(i);
    // An existing key keeps its place: the map stays in name order.
    resources.set(r.name, r);
  }
  for (const i of at) {
    const p = parts[i]!;
    if ((i > 0 && parts[i - 1]! >= p) || (i + 1 < parts.length && parts[i + 1]! <= p)) return undefined;
  }
  const version = contentHash(parts.join('\n'));
  return { type: { version, resources }, parts, positions };
}
