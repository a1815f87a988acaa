// Regexes in policy rules become Envoy `safe_regex` matchers in the one gateway
// RouteConfiguration every model shares, so a pattern Envoy refuses NACKs routes for all
// models. Envoy runs Google RE2 and refuses patterns whose program size exceeds
// re2.max_program_size.error_level (default 100); proxyless gRPC runs RE2 too. We compile each
// pattern with real RE2 (re2-wasm, Google's RE2 built to WASM, loaded synchronously with this
// module) and bound its program size (re2-program-size.ts). docs/TRANSLATION.md, "Regular
// expressions".
import { createRequire } from 'node:module';
import { re2ProgramSizeBound } from './re2-program-size.js';

/** Envoy's default re2.max_program_size.error_level. */
export const RE2_MAX_PROGRAM_SIZE = 100;

interface WrappedRE2 {
  ok(): boolean;
  error(): string;
  delete(): void;
}
const { WrappedRE2: Wrapped } = createRequire(import.meta.url)('re2-wasm/build/wasm/re2.js') as {
  WrappedRE2: new (pattern: string, ignoreCase: boolean, multiline: boolean, dotAll: boolean) => WrappedRE2;
};

/**
 * Patterns whose program-size bound exceeds this are refused without asking RE2. re2-wasm runs
 * in a fixed 16 MiB heap: compiling `\pL{1000}` (ten characters) or a few hundred counted `.`
 * exhausts it, which aborts the WASM module with a RuntimeError instead of an RE2 error, leaks
 * what the compile had allocated, and after a few such aborts ends the process. Any pattern
 * this large is over Envoy's limit anyway; up to it, RE2 still names what is wrong with an
 * invalid pattern (a bound of 10,000 compiles in well under a megabyte).
 */
export const RE2_COMPILE_CEILING = 10_000;

/**
 * What one document may spend on compiling patterns that are over Envoy's limit anyway, in size
 * bounds (compile time grows with the program: 4 ms at a bound of 1,000, 14 ms near 9,000 and
 * 48 ms for the first such compile of a process, while re2-wasm grows its heap). Such a pattern
 * is compiled only to quote RE2's own reason when it is invalid too (`a{1001}`, bound 3,009:
 * "invalid repetition size"); a document at every limit holds 128 header regexes, and compiling
 * each of them near the ceiling held the event loop for 1.5 s. Past the budget, or for one
 * pattern larger than all of it, the rest are refused on their size alone.
 */
export const RE2_DOCUMENT_BUDGET = 4_000;

let budget: { left: number } | undefined;

/** Runs `fn` (one document's validation) with its own RE2_DOCUMENT_BUDGET. */
export function withRe2Budget<T>(fn: () => T): T {
  const outer = budget;
  budget = { left: RE2_DOCUMENT_BUDGET };
  try {
    return fn();
  } finally {
    budget = outer;
  }
}

/** Whether to ask RE2: always within Envoy's limit (it must accept); beyond it, while affordable. */
function compiles(size: number): boolean {
  if (size <= RE2_MAX_PROGRAM_SIZE) return true;
  if (size > RE2_COMPILE_CEILING) return false;
  if (!budget) return true;
  if (budget.left < size) return false;
  budget.left -= size;
  return true;
}

/**
 * Why RE2 (or Envoy's size limit) refuses `pattern`, or undefined when it is accepted.
 * The pattern must already compile as a JavaScript regular expression with the `u` flag
 * (model-route-schema.ts checks that first): the size walk relies on its groups being closed.
 */
export function re2Problem(pattern: string): string | undefined {
  const size = re2ProgramSizeBound(pattern);
  if (compiles(size)) {
    // Envoy compiles with RE2::Quiet: default options, the pattern as written.
    const re = new Wrapped(pattern, false, false, false);
    try {
      if (!re.ok()) return `is not a valid RE2 expression (Envoy, gRPC): ${re.error()}`;
    } finally {
      re.delete();
    }
  }
  // Past a million the number is no measure: a Unicode property class is charged a flat million,
  // and patterns this large are not compiled (RE2_COMPILE_CEILING), so repetitions too long for
  // RE2 (`a{400000}`) land here as well.
  if (size > RE2_MAX_PROGRAM_SIZE)
    return `is too complex for Envoy: its RE2 program size is estimated at ${size > 1_000_000 ? 'over 1,000,000' : size}, over the limit of ${RE2_MAX_PROGRAM_SIZE} (re2.max_program_size.error_level); use a shorter pattern, bounded repetitions of plain characters, or a prefix match`;
  return undefined;
}
