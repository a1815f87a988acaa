// Regexes in policy rules pass only when real RE2 compiles them within Envoy's program-size
// limit: a pattern Envoy refuses would NACK the gateway's one RouteConfiguration for every model.
import { describe, expect, it } from 'vitest';
import { regexIssues } from '../../test/helpers/policy-yaml.js';
import { validatePolicy } from './parse.js';
import {
  RE2_COMPILE_CEILING,
  RE2_DOCUMENT_BUDGET,
  RE2_MAX_PROGRAM_SIZE,
  re2Problem,
  withRe2Budget,
} from './re2.js';
import { re2ProgramSizeBound } from './re2-program-size.js';

describe('regexes in policy rules', () => {
  it.each([
    // JavaScript accepts these; Google RE2 does not.
    ['(?<name>a)', /not a valid RE2 expression .*invalid perl operator/],
    ['\\cA', /not a valid RE2 expression .*invalid escape sequence: \\c/],
    ['a{1001}', /not a valid RE2 expression .*invalid repetition size/],
  ])('refuses %s, which RE2 cannot compile', (regex, message) => {
    expect(regexIssues(regex)).toEqual([expect.stringMatching(message)]);
    expect(() => new RegExp(regex, 'u')).not.toThrow();
  });

  it.each([
    // RE2 compiles these, but their program size exceeds Envoy's default limit of 100
    // (`^.{0,200}$` is 1,802 in RE2).
    '^.{0,200}$',
    '^[a-z]{0,50}$',
    '\\p{L}+',
    '^[a-z0-9-]{1,63}\\.example\\.com$',
  ])('refuses %s, over Envoy re2.max_program_size.error_level', (regex) => {
    expect(regexIssues(regex)).toEqual([
      expect.stringMatching(
        /^spec\.match\[0\]\.headers\.x-cohort\.regex: is too complex for Envoy: .* over the limit of 100/,
      ),
    ]);
  });

  it.each(['^acme-[a-z0-9]+$', 'beta|gamma', '^v[0-9]+$', '^(canary|beta|gamma)-[0-9a-f]{8}$', '[^/]+'])(
    'accepts %s',
    (regex) => {
      expect(regexIssues(regex)).toEqual([]);
    },
  );

  it('bounds the program size from above on patterns whose RE2 size is known', () => {
    // RE2 program sizes measured with RE2::ProgramSize (the number Envoy checks).
    expect(re2ProgramSizeBound('^.{0,200}$')).toBeGreaterThanOrEqual(1802);
    expect(re2ProgramSizeBound('.{0,10}')).toBeGreaterThan(RE2_MAX_PROGRAM_SIZE);
    // Adding to a pattern never lowers its bound.
    expect(re2ProgramSizeBound('^a[0-9]+$')).toBeGreaterThan(re2ProgramSizeBound('^a$'));
    expect(re2ProgramSizeBound('(a|b)*')).toBeGreaterThan(re2ProgramSizeBound('a|b'));
  });

  it('names the problem without the schema around it', () => {
    expect(re2Problem('^ok$')).toBeUndefined();
    expect(re2Problem('(')).toMatch(/missing \)/);
  });
});

describe('the program-size limit', () => {
  it('takes a pattern right at the limit and refuses one just over it, giving the size', () => {
    // Plain ASCII characters cost one instruction each, plus 4 for Fail, Match and the prefix.
    expect(re2ProgramSizeBound('a'.repeat(96))).toBe(RE2_MAX_PROGRAM_SIZE);
    expect(re2Problem('a'.repeat(96))).toBeUndefined();
    expect(re2Problem('a'.repeat(97))).toBe(
      'is too complex for Envoy: its RE2 program size is estimated at 101, over the limit of 100 (re2.max_program_size.error_level); use a shorter pattern, bounded repetitions of plain characters, or a prefix match',
    );
  });

  it('reads an octal escape as at most three digits, as RE2 does, and counts the digits after it', () => {
    // \000 is one NUL; the 197 zeros after it are plain characters.
    const zeros = `\\${'0'.repeat(200)}`;
    expect(re2Problem(zeros)).toMatch(/^is too complex for Envoy: its RE2 program size is estimated at 202,/);
  });

  it('says "over 1,000,000" for Unicode property classes instead of a made-up size', () => {
    expect(re2Problem('\\pL')).toMatch(
      /^is too complex for Envoy: its RE2 program size is estimated at over 1,000,000, over the limit of 100/,
    );
    // A repetition RE2 would refuse is not compiled at that size; exactly a million is not "over".
    expect(re2ProgramSizeBound('aa{333331}')).toBe(1_000_000);
    expect(re2Problem('aa{333331}')).toMatch(
      /^is too complex for Envoy: .* estimated at 1000000, over the limit/,
    );
    expect(re2Problem('aa{333332}')).toMatch(
      /^is too complex for Envoy: .* estimated at over 1,000,000, over/,
    );
    expect(re2Problem('^.{0,200}$')).toMatch(/estimated at 3608, over the limit/);
  });

  it('quotes RE2 own reason for a pattern it cannot compile', () => {
    expect(re2Problem(')a')).toBe('is not a valid RE2 expression (Envoy, gRPC): unexpected ): )a');
  });
});

describe('patterns too large to hand to RE2', () => {
  // re2-wasm has a fixed 16 MiB heap: compiling these aborts the WASM module, and a few aborts
  // later the process ends. They are refused on their size bound without compiling them.
  it('refuses a short pattern that expands past the WASM heap, again and again', () => {
    for (let i = 0; i < 40; i++) {
      expect(re2Problem('\\pL{1000}')).toMatch(/^is too complex for Envoy: .* over 1,000,000/);
      expect(re2Problem('.{1000}'.repeat(40))).toMatch(/^is too complex for Envoy: .* estimated at 720084,/);
    }
    expect(regexIssues('\\p{L}{1000}')).toEqual([
      expect.stringMatching(/^spec\.match\[0\]\.headers\.x-cohort\.regex: is too complex for Envoy/),
    ]);
    // RE2 still works afterwards.
    expect(re2Problem('^ok$')).toBeUndefined();
    expect(re2Problem(')a')).toBe('is not a valid RE2 expression (Envoy, gRPC): unexpected ): )a');
  });

  it('asks RE2 up to a bound of exactly RE2_COMPILE_CEILING, and not beyond', () => {
    // Each `a` costs 1, `\cA` 2 (RE2 refuses it), plus 4 for every program.
    const atCeiling = `${'a'.repeat(RE2_COMPILE_CEILING - 6)}\\cA`;
    expect(re2ProgramSizeBound(atCeiling)).toBe(RE2_COMPILE_CEILING);
    expect(re2Problem(atCeiling)).toMatch(/^is not a valid RE2 expression \(Envoy, gRPC\): invalid escape/);
    expect(re2Problem(`a${atCeiling}`)).toMatch(
      /^is too complex for Envoy: its RE2 program size is estimated at 10001, over the limit of 100/,
    );
  });
});

describe("one document's RE2 budget", () => {
  it('compiles patterns over the limit only while the budget lasts, and always those within it', () => {
    const big = '(a|b|c|d){90}x';
    expect(re2ProgramSizeBound(big)).toBe(997);
    expect(re2ProgramSizeBound('a{1001}')).toBe(3009);
    expect(997 + 3009).toBeGreaterThan(RE2_DOCUMENT_BUDGET);
    withRe2Budget(() => {
      // Larger than the whole budget: refused on its size, never compiled.
      expect(re2Problem('(a|b|c|d){800}x')).toMatch(/^is too complex for Envoy: .* estimated at 8807,/);
      expect(re2Problem(big)).toMatch(/^is too complex for Envoy: .* estimated at 997,/);
      // RE2 would name the bad repetition, but the budget is spent: refused on its size.
      expect(re2Problem('a{1001}')).toMatch(/^is too complex for Envoy: .* estimated at 3009,/);
      // Within Envoy's limit RE2 is always asked: it must accept what passes.
      expect(re2Problem('(?<name>a)')).toMatch(/^is not a valid RE2 expression .*invalid perl operator/);
      expect(re2Problem('^ok$')).toBeUndefined();
      // Another document gets a budget of its own.
      expect(withRe2Budget(() => re2Problem('a{1001}'))).toMatch(/invalid repetition size/);
    });
    // Outside a document, a single pattern is asked as before.
    expect(re2Problem('a{1001}')).toMatch(/invalid repetition size/);
  });

  it('keeps a document of 128 near-ceiling header regexes cheap to refuse', () => {
    const doc = {
      apiVersion: 'switchyard.dev/v1alpha1',
      kind: 'ModelRoute',
      metadata: { name: 'm' },
      spec: {
        model: 'm',
        versions: Array.from({ length: 16 }, (_, i) => ({ name: `v${i}` })),
        match: Array.from({ length: 16 }, (_, k) => ({
          headers: Object.fromEntries(
            Array.from({ length: 8 }, (_, h) => [`x-h${h}`, { regex: `(a|b|c|d){800}${k}x${h}` }]),
          ),
          version: `v${k}`,
        })),
      },
    };
    const issues: { path: string; message: string }[] = [];
    const t0 = performance.now();
    validatePolicy(doc, issues);
    const ms = performance.now() - t0;
    console.log(`128 near-ceiling regexes refused in ${ms.toFixed(0)} ms`);
    const regex = issues.filter((i) => i.path.endsWith('.regex'));
    expect(regex).toHaveLength(128);
    expect(regex.every((i) => /too complex for Envoy/.test(i.message))).toBe(true);
    // Each compiled near the ceiling costs 14-48 ms; all 128 took 1.5 s before the budget.
    expect(ms).toBeLessThan(400);
  });
});

describe('the size walk', () => {
  it('ends on a class that opens "[:" without closing ":]" (RE2 reads the "[" as a member)', () => {
    expect(re2ProgramSizeBound('[[:a]')).toBe(4 + 3 * 2);
    expect(regexIssues('[[:a]')).toEqual([]);
    expect(regexIssues('x[[:a]y')).toEqual([]);
  });

  it('charges a POSIX class that does close once', () => {
    expect(re2ProgramSizeBound('[[:alpha:]]')).toBe(4 + 4 * 2);
  });
});
