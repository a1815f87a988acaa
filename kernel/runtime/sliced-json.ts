// JSON.stringify(value, null, 2) without holding the event loop for the whole of a large value:
// the top-level object and the arrays and objects right under it are written member by member,
// each member by JSON.stringify itself (re-indented for its depth), with the loop given a turn
// whenever a slice has run for `sliceMs`. A list of 300 policies at the size limits is 12 MB of
// JSON, 60-100 ms in one JSON.stringify. The text is the same, character for character
// (sliced-json.test.ts holds it to JSON.stringify).

/** A plain object or array whose members can be written one by one (no toJSON of its own). */
function expandable(v: unknown): v is Record<string, unknown> | unknown[] {
  if (v === null || typeof v !== 'object') return false;
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return false;
  if (Array.isArray(v)) return true;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * One member's value as JSON.stringify writes it at `depth` (each level indents 2), or undefined
 * when it writes nothing. Stringified inside a one-member holder, so a toJSON is called once,
 * with the member's key, as JSON.stringify calls it.
 */
function leaf(key: string, v: unknown, depth: number): string | undefined {
  const wrapped = JSON.stringify({ [key]: v }, null, 2);
  if (wrapped === '{}') return undefined;
  const text = wrapped.slice(`{\n  ${JSON.stringify(key)}: `.length, -'\n}'.length);
  // Written at depth 1 there; JSON strings hold no raw line breaks, so every '\n' in the text
  // starts a line of the layout.
  return depth === 1 ? text : text.replaceAll('\n', `\n${'  '.repeat(depth - 1)}`);
}

function* members(
  value: Record<string, unknown> | unknown[],
  depth: number,
  out: string[],
  expand: number,
): Generator<void> {
  const array = Array.isArray(value);
  const pad = '  '.repeat(depth + 1);
  // Every index, holes included (JSON.stringify writes a hole as null; map would skip it).
  const keys = array ? Array.from({ length: value.length }, (_, i) => String(i)) : Object.keys(value);
  const [open, close] = array ? ['[', ']'] : ['{', '}'];
  let first = true;
  for (const key of keys) {
    const v = (value as Record<string, unknown>)[key];
    const name = array ? '' : `${JSON.stringify(key)}: `;
    if (expand > 0 && expandable(v) && (Array.isArray(v) ? v.length : Object.keys(v).length) > 0) {
      out.push(`${first ? `${open}\n` : ',\n'}${pad}${name}`);
      first = false;
      yield* members(v, depth + 1, out, expand - 1);
      continue;
    }
    // An array writes null where an object leaves the member out.
    const text = leaf(key, v, depth + 1) ?? (array ? 'null' : undefined);
    if (text === undefined) continue;
    out.push(`${first ? `${open}\n` : ',\n'}${pad}${name}${text}`);
    first = false;
    yield;
  }
  out.push(first ? `${open}${close}` : `\n${'  '.repeat(depth)}${close}`);
}

/** The steps of writing `value`; `out` receives the text in order. */
export function* jsonSteps(value: unknown, out: string[]): Generator<void> {
  if (!expandable(value)) {
    const text = JSON.stringify(value, null, 2) as string | undefined;
    if (text !== undefined) out.push(text);
    return;
  }
  yield* members(value, 0, out, 1);
}

/**
 * Pieces of text joined and handed on at once, within a slice. A piece (a member's text, up to
 * tens of KB) stays in the young generation until its flush, and every scavenge copies what is
 * still held: flushing only at a slice's end held a whole slice's text, megabytes, and each
 * scavenge took 10-25 ms on top of the slice. Flushed every 16 pieces, none took over 5 ms.
 */
const FLUSH_PIECES = 16;

/**
 * `JSON.stringify(value, null, 2)`, in slices of about `sliceMs` with the event loop free between.
 * With `sink`, the text goes to it in parts as it is written (every FLUSH_PIECES pieces and at
 * each slice's end; joining 12 MB at the end would be a long step of its own) and the result
 * is ''.
 */
export async function stringifySliced(
  value: unknown,
  sliceMs: number,
  sink?: (text: string) => void,
): Promise<string> {
  const out: string[] = [];
  const all: string[] = [];
  const flush = () => {
    if (out.length === 0) return;
    const text = out.join('');
    out.length = 0;
    if (sink) sink(text);
    else all.push(text);
  };
  const steps = jsonSteps(value, out);
  let sliceStart = performance.now();
  for (;;) {
    if (steps.next().done) break;
    if (out.length >= FLUSH_PIECES) flush();
    if (performance.now() - sliceStart < sliceMs) continue;
    flush();
    await new Promise<void>((resolve) => setImmediate(resolve));
    sliceStart = performance.now();
  }
  flush();
  return all.join('');
}
