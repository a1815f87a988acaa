// The ModelRoute field schema on its own (no cross-field rules): what each field takes, what it
// refuses and with which path and message, and the defaults it fills in.
import { describe, expect, it } from 'vitest';
import type { Issue } from '../../kernel/errors/index.js';
import { MODEL_ROUTE_FIELDS } from './model-route-schema.js';
import { checkObject } from './schema.js';

const NAME_HINT =
  "a name of lower-case letters, digits, '.', '_' and '-' that starts and ends with a letter or digit";
const DNS_HINT = 'a DNS-1123 name (lower-case letters, digits, "." and "-")';
const LOCALITY_HINT = 'a region or zone name (letters, digits, ".", "_" and "-")';
const HEADER_HINT = 'a lower-case HTTP header name';

type Doc = Record<string, unknown>;

function check(doc: unknown): { value: Doc | undefined; issues: string[] } {
  const out: Issue[] = [];
  const value = checkObject(MODEL_ROUTE_FIELDS, doc, '', out);
  return { value, issues: out.map((i) => `${i.path}: ${i.message}`) };
}

function docWith(spec: Doc, metadata: Doc = { name: 'p' }): Doc {
  return { apiVersion: 'switchyard.dev/v1alpha1', kind: 'ModelRoute', metadata, spec };
}

/** The problems of a minimal valid spec with `extra` merged in. */
function issues(extra: Doc): string[] {
  return check(docWith({ model: 'm', versions: [{ name: 'v1' }], ...extra })).issues;
}

/** The checked spec of a minimal valid spec with `extra` merged in (asserting no problem). */
function spec(extra: Doc): Doc {
  const { value, issues } = check(docWith({ model: 'm', versions: [{ name: 'v1' }], ...extra }));
  expect(issues).toEqual([]);
  return value!.spec as Doc;
}

const endpoint = (e: Doc): Doc => ({
  versions: [{ name: 'v1', endpoints: [{ address: '10.0.0.1', port: 80, ...e }] }],
});
const header = (h: unknown): Doc => ({ match: [{ headers: { 'x-a': h }, version: 'v1' }] });
const EP = 'spec.versions[0].endpoints[0]';
const HM = 'spec.match[0].headers.x-a';

describe('the document', () => {
  it('fills every default of a minimal document', () => {
    const { value, issues: found } = check(docWith({ model: 'm', versions: [{ name: 'v1' }] }));
    expect(found).toEqual([]);
    expect(value).toEqual({
      apiVersion: 'switchyard.dev/v1alpha1',
      kind: 'ModelRoute',
      metadata: { name: 'p', namespace: 'default' },
      spec: {
        model: 'm',
        versions: [{ name: 'v1' }],
        match: [],
        timeout: '30s',
        retries: { attempts: 2, on: ['connect-failure', 'refused-stream', 'unavailable'] },
        http2: true,
        mtls: 'PERMISSIVE',
        backendPreference: 'any',
      },
    });
  });

  it('requires apiVersion, kind, metadata and spec, and metadata.name', () => {
    expect(check({}).issues).toEqual([
      'apiVersion: is required',
      'kind: is required',
      'metadata: is required',
      'spec: is required',
    ]);
    expect(check({ apiVersion: 1, kind: 2, metadata: {}, spec: {} }).issues).toEqual([
      'apiVersion: must be a string',
      'kind: must be a string',
      'metadata.name: is required',
      'spec.model: is required',
      'spec.versions: is required',
    ]);
  });

  it('keeps a given namespace and checks both names as DNS names', () => {
    const ok = check(
      docWith({ model: 'm', versions: [{ name: 'v1' }] }, { name: 'a.b-c', namespace: 'team-1' }),
    );
    expect(ok.issues).toEqual([]);
    expect(ok.value!.metadata).toEqual({ name: 'a.b-c', namespace: 'team-1' });
    const bad = check(
      docWith({ model: 'm', versions: [{ name: 'v1' }] }, { name: 'a_b', namespace: 'Team' }),
    );
    expect(bad.issues).toEqual([
      `metadata.name: "a_b" is not ${DNS_HINT}`,
      `metadata.namespace: "Team" is not ${DNS_HINT}`,
    ]);
  });
});

describe('names', () => {
  // Each pattern is anchored at both ends, takes one character, and takes its middle characters.
  const cases: [string, (v: string) => Doc, string, number, string[], string[], string][] = [
    [
      'spec.model',
      (v) => ({ model: v }),
      'spec.model',
      200,
      ['a', '0', 'ab', 'a.b_c-d', 'a-.-b'],
      ['A', 'aB', 'Ab', '-a', 'a-', '.a', 'a.', '_a', 'a_', 'a b', 'a/b', ''],
      NAME_HINT,
    ],
    [
      'a version name',
      (v) => ({ versions: [{ name: v }] }),
      'spec.versions[0].name',
      63,
      ['a', '9', 'v1', 'v1.2_3-4'],
      ['V1', 'v1-', '-v1', 'v 1', 'v1/'],
      NAME_HINT,
    ],
    [
      'metadata.name (a DNS name)',
      () => ({}),
      'metadata.name',
      253,
      ['a', '0', 'ab', 'a.b-c'],
      ['A', 'a_b', '-a', 'a-', '.a', 'a.', 'a b', ''],
      DNS_HINT,
    ],
    [
      'an endpoint region',
      (v) => endpoint({ region: v }),
      `${EP}.region`,
      63,
      ['a', 'Z', '0', 'EU-West_1.a', 'ab'],
      ['-a', 'a-', '.a', 'a.', '_a', 'a_', 'a b', 'a/b', ''],
      LOCALITY_HINT,
    ],
    [
      'a sticky header',
      (v) => ({ sticky: { header: v } }),
      'spec.sticky.header',
      128,
      ['a', 'x-user', "x!#$%&'*+.^_`|~-0"],
      ['X-user', 'x-User', 'x user', 'x:a', 'x/a', ''],
      HEADER_HINT,
    ],
  ];

  for (const [what, put, path, max, good, bad, hint] of cases) {
    const problems = (v: string) =>
      path === 'metadata.name'
        ? check(docWith({ model: 'm', versions: [{ name: 'v1' }] }, { name: v })).issues
        : issues(put(v));

    it(`${what} takes ${good.join(' ')}`, () => {
      for (const v of good) expect(problems(v), v).toEqual([]);
    });

    it(`${what} refuses names the pattern does not allow, quoting them`, () => {
      for (const v of bad) expect(problems(v), v).toEqual([`${path}: ${JSON.stringify(v)} is not ${hint}`]);
    });

    it(`${what} takes ${max} characters and refuses ${max + 1}`, () => {
      expect(problems('a'.repeat(max))).toEqual([]);
      expect(problems('a'.repeat(max + 1))).toEqual([`${path}: must be at most ${max} characters`]);
    });
  }

  it('checks the zone, the residency regions and the header names of a match the same way', () => {
    expect(issues(endpoint({ zone: 'EU-1a' }))).toEqual([]);
    expect(issues(endpoint({ zone: 'a-' }))).toEqual([`${EP}.zone: "a-" is not ${LOCALITY_HINT}`]);
    expect(issues(endpoint({ zone: 'a'.repeat(64) }))).toEqual([`${EP}.zone: must be at most 63 characters`]);
    expect(issues({ residency: { regions: ['EU-West_1', 'b'] } })).toEqual([]);
    expect(issues({ residency: { regions: ['-eu'] } })).toEqual([
      `spec.residency.regions[0]: "-eu" is not ${LOCALITY_HINT}`,
    ]);
    expect(issues({ match: [{ headers: { 'X-A': 'b' }, version: 'v1' }] })).toEqual([
      `spec.match[0].headers.X-A: "X-A" is not ${HEADER_HINT}`,
    ]);
    expect(issues({ match: [{ headers: { ['x'.repeat(129)]: 'b' }, version: 'v1' }] })).toEqual([
      `spec.match[0].headers.${'x'.repeat(129)}: must be at most 128 characters`,
    ]);
    expect(issues({ match: [{ headers: { 'x-a': 'b' }, version: 'V1' }] })).toEqual([
      `spec.match[0].version: "V1" is not ${NAME_HINT}`,
    ]);
    expect(issues({ mirror: { version: 'v1-' } })).toEqual([
      `spec.mirror.version: "v1-" is not ${NAME_HINT}`,
    ]);
    expect(issues({ mirror: { version: 'v'.repeat(64) } })).toEqual([
      'spec.mirror.version: must be at most 63 characters',
    ]);
  });
});

describe('header conditions', () => {
  it('reads a bare string as exact, and keeps exact, prefix, regex and present', () => {
    expect(spec(header('b')).match).toEqual([{ headers: { 'x-a': { exact: 'b' } }, version: 'v1' }]);
    expect(spec(header({ exact: '' })).match).toEqual([{ headers: { 'x-a': { exact: '' } }, version: 'v1' }]);
    expect(spec(header({ prefix: 'b' })).match).toEqual([
      { headers: { 'x-a': { prefix: 'b' } }, version: 'v1' },
    ]);
    expect(spec(header({ regex: '^b+$' })).match).toEqual([
      { headers: { 'x-a': { regex: '^b+$' } }, version: 'v1' },
    ]);
    expect(spec(header({ present: false })).match).toEqual([
      { headers: { 'x-a': { present: false } }, version: 'v1' },
    ]);
    expect(spec(header({ present: true })).match).toEqual([
      { headers: { 'x-a': { present: true } }, version: 'v1' },
    ]);
  });

  it('refuses what is neither a string nor a mapping', () => {
    for (const v of [5, true, ['b'], null]) {
      expect(issues(header(v)), JSON.stringify(v)).toEqual([
        `${HM}: must be a string (exact match) or one of {exact|prefix|regex|present}`,
      ]);
    }
  });

  it('wants exactly one known kind, naming the unknown ones', () => {
    const one = `${HM}: must set exactly one of exact, prefix, regex, present`;
    expect(issues(header({}))).toEqual([one]);
    expect(issues(header({ exact: 'a', prefix: 'b' }))).toEqual([one]);
    expect(issues(header({ exakt: 'a' }))).toEqual([`${one} (unknown: exakt)`]);
    expect(issues(header({ exact: 'a', foo: 1, bar: 2 }))).toEqual([`${one} (unknown: foo, bar)`]);
  });

  it('checks the value of each kind', () => {
    expect(issues(header({ exact: 5 }))).toEqual([`${HM}.exact: must be a string`]);
    expect(issues(header({ prefix: '' }))).toEqual([`${HM}.prefix: must be a non-empty string`]);
    expect(issues(header({ prefix: 5 }))).toEqual([`${HM}.prefix: must be a non-empty string`]);
    expect(issues(header({ present: 'yes' }))).toEqual([`${HM}.present: must be true or false`]);
    expect(issues(header({ regex: '' }))).toEqual([`${HM}.regex: must be a non-empty regular expression`]);
    expect(issues(header({ regex: 5 }))).toEqual([`${HM}.regex: must be a non-empty regular expression`]);
  });

  it('refuses a regex JavaScript cannot compile with the u flag, quoting its reason', () => {
    expect(issues(header({ regex: '(' }))).toEqual([
      `${HM}.regex: is not a valid regular expression: Invalid regular expression: /(/u: Unterminated group`,
    ]);
    // Without the u flag these are literal characters.
    expect(issues(header({ regex: ']' }))).toEqual([
      `${HM}.regex: is not a valid regular expression: Invalid regular expression: /]/u: Lone quantifier brackets`,
    ]);
  });

  it('names look-around and back-references, which RE2 lacks, and where they are', () => {
    const lacks = (what: string, at: number) =>
      `${HM}.regex: uses ${what} at offset ${at}, which RE2 (Envoy, gRPC) does not support`;
    for (const [r, what, at] of [
      ['a(?=b)', "look-around '(?='", 1],
      ['a(?!b)', "look-around '(?!'", 1],
      ['(?<=a)b', "look-around '(?<='", 0],
      ['(?<!a)b', "look-around '(?<!'", 0],
      ['(a)\\1', "a back-reference '\\1'", 3],
      ['(a)(b)\\2', "a back-reference '\\2'", 6],
      ['(?<n>a)\\k<n>', "a back-reference '\\k<n>'", 7],
      ['(a)x\\1', "a back-reference '\\1'", 4],
      ['(a)\\\\\\1', "a back-reference '\\1'", 5],
      // After a class, and after a class holding `]`, `\\` or a leading `]`: still outside it.
      ['[a](?=b)', "look-around '(?='", 3],
      ['[\\]](?=b)', "look-around '(?='", 4],
      ['[\\\\](?!b)', "look-around '(?!'", 4],
      ['[a-z]+\\[(?<=x)', "look-around '(?<='", 8],
    ] as const) {
      expect(issues(header({ regex: r })), r).toEqual([lacks(what, at)]);
    }
  });

  it('leaves other groups and escapes to RE2', () => {
    for (const r of ['(?:a)b', '\\d+', '\\\\1', '(a)\\\\\\\\1', '\\\\k<', '[1-9]', 'k<'])
      expect(issues(header({ regex: r })), r).toEqual([]);
    expect(issues(header({ regex: '(?<n>a)' }))).toEqual([
      `${HM}.regex: is not a valid RE2 expression (Envoy, gRPC): invalid perl operator: (?<`,
    ]);
    expect(issues(header({ regex: 'a'.repeat(97) }))).toEqual([
      `${HM}.regex: is too complex for Envoy: its RE2 program size is estimated at 101, over the limit of 100 (re2.max_program_size.error_level); use a shorter pattern, bounded repetitions of plain characters, or a prefix match`,
    ]);
  });

  it('leaves no entry for a refused condition in the checked rule', () => {
    // The cross-field rules read the checked document even when it has problems.
    for (const h of [
      { regex: '(' },
      { regex: 'a(?=b)' },
      { regex: 'a{1001}' },
      { present: 1 },
      { prefix: '' },
      5,
    ]) {
      const { value, issues: found } = check(
        docWith({ model: 'm', versions: [{ name: 'v1' }], ...header(h) }),
      );
      expect(found, JSON.stringify(h)).toHaveLength(1);
      expect((value!.spec as Doc).match, JSON.stringify(h)).toEqual([{ headers: {}, version: 'v1' }]);
    }
  });

  it('wants between one and eight header conditions per rule, and a version', () => {
    expect(issues({ match: [{ headers: {}, version: 'v1' }] })).toEqual([
      'spec.match[0].headers: must have at least 1 entry',
    ]);
    const nine = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`x-${i}`, 'b']));
    expect(issues({ match: [{ headers: nine, version: 'v1' }] })).toEqual([
      'spec.match[0].headers: has 9 entries; at most 8 are allowed',
    ]);
    const eight = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`x-${i}`, 'b']));
    expect(issues({ match: [{ headers: eight, version: 'v1' }] })).toEqual([]);
    expect(issues({ match: [{}] })).toEqual([
      'spec.match[0].headers: is required',
      'spec.match[0].version: is required',
    ]);
  });

  it('takes sixteen match rules and refuses seventeen', () => {
    const rule = { headers: { 'x-a': 'b' }, version: 'v1' };
    expect(issues({ match: Array(16).fill(rule) })).toEqual([]);
    expect(issues({ match: Array(17).fill(rule) })).toEqual([
      'spec.match: has 17 items; at most 16 are allowed',
    ]);
  });
});

describe('static endpoints', () => {
  it('keeps every field of an endpoint', () => {
    const e = {
      address: '::1',
      port: 1,
      httpPort: 65535,
      region: 'r',
      zone: 'z',
      weight: 1_000_000,
      backend: 'cpu',
    };
    expect((spec({ versions: [{ name: 'v1', endpoints: [e] }] }).versions as Doc[])[0]).toEqual({
      name: 'v1',
      endpoints: [e],
    });
    expect(issues(endpoint({ port: 65535, httpPort: 1, weight: 1, backend: 'gpu' }))).toEqual([]);
  });

  it('wants an IPv4 or IPv6 address and a port', () => {
    expect(issues({ versions: [{ name: 'v1', endpoints: [{}] }] })).toEqual([
      `${EP}.address: is required`,
      `${EP}.port: is required`,
    ]);
    expect(issues(endpoint({ address: 'example.com' }))).toEqual([
      `${EP}.address: "example.com" is not an IPv4 or IPv6 address`,
    ]);
    expect(issues(endpoint({ address: 5 }))).toEqual([`${EP}.address: 5 is not an IPv4 or IPv6 address`]);
    // isIP would read a list through its text; the address must be a string itself.
    expect(issues(endpoint({ address: ['10.0.0.1'] }))).toEqual([
      `${EP}.address: ["10.0.0.1"] is not an IPv4 or IPv6 address`,
    ]);
    expect(issues(endpoint({ address: '10.0.0.256' }))).toEqual([
      `${EP}.address: "10.0.0.256" is not an IPv4 or IPv6 address`,
    ]);
  });

  it('bounds the ports and the weight, and knows the backends', () => {
    expect(issues(endpoint({ port: 0, httpPort: 0, weight: 0 }))).toEqual([
      `${EP}.port: must be >= 1`,
      `${EP}.httpPort: must be >= 1`,
      `${EP}.weight: must be >= 1`,
    ]);
    expect(issues(endpoint({ port: 65536, httpPort: 65536, weight: 1_000_001 }))).toEqual([
      `${EP}.port: must be <= 65535`,
      `${EP}.httpPort: must be <= 65535`,
      `${EP}.weight: must be <= 1000000`,
    ]);
    expect(issues(endpoint({ backend: 'tpu' }))).toEqual([
      `${EP}.backend: must be one of gpu, cpu (did you mean "gpu"?)`,
    ]);
  });

  it('takes 64 endpoints per version and refuses 65', () => {
    const eps = (n: number) => Array.from({ length: n }, (_, i) => ({ address: '10.0.0.1', port: i + 1 }));
    expect(issues({ versions: [{ name: 'v1', endpoints: eps(64) }] })).toEqual([]);
    expect(issues({ versions: [{ name: 'v1', endpoints: eps(65) }] })).toEqual([
      'spec.versions[0].endpoints: has 65 items; at most 64 are allowed',
    ]);
  });
});

describe('versions', () => {
  it('wants a name, bounds the weight, and takes one to 32 versions', () => {
    expect(issues({ versions: [{}] })).toEqual(['spec.versions[0].name: is required']);
    expect(spec({ versions: [{ name: 'v1', weight: 0 }] }).versions).toEqual([{ name: 'v1', weight: 0 }]);
    expect(issues({ versions: [{ name: 'v1', weight: 1_000_000 }] })).toEqual([]);
    expect(issues({ versions: [{ name: 'v1', weight: -1 }] })).toEqual([
      'spec.versions[0].weight: must be >= 0',
    ]);
    expect(issues({ versions: [{ name: 'v1', weight: 1_000_001 }] })).toEqual([
      'spec.versions[0].weight: must be <= 1000000',
    ]);
    expect(issues({ versions: [] })).toEqual(['spec.versions: must have at least 1 item(s)']);
    const vs = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `v${i}` }));
    expect(issues({ versions: vs(32) })).toEqual([]);
    expect(issues({ versions: vs(33) })).toEqual(['spec.versions: has 33 items; at most 32 are allowed']);
  });
});

describe('retries', () => {
  it('fills attempts, the conditions and the budget when the mapping is given', () => {
    expect(spec({ retries: {} }).retries).toEqual({
      attempts: 2,
      on: ['connect-failure', 'refused-stream', 'unavailable'],
    });
    expect(spec({ retries: { budget: {} } }).retries).toMatchObject({
      budget: { percent: 20, minConcurrency: 3 },
    });
  });

  it('keeps what is given', () => {
    const r = {
      attempts: 10,
      on: ['5xx', 'reset'],
      perTryTimeout: '1s',
      backoff: { baseInterval: '25ms', maxInterval: '1s' },
      budget: { percent: 100, minConcurrency: 0xffff_ffff },
    };
    expect(spec({ retries: r }).retries).toEqual(r);
    expect(issues({ retries: { attempts: 0, budget: { percent: 0, minConcurrency: 1 } } })).toEqual([]);
  });

  it('refuses what is out of range', () => {
    expect(
      issues({
        retries: {
          attempts: 11,
          on: ['5xx', '5xx', 'teapot'],
          perTryTimeout: '0s',
          backoff: { maxInterval: '0s' },
          budget: { percent: 101, minConcurrency: 0 },
        },
      }),
    ).toEqual([
      'spec.retries.attempts: must be <= 10',
      'spec.retries.on[1]: duplicate "5xx"',
      expect.stringMatching(
        /^spec\.retries\.on\[2\]: must be one of 5xx, gateway-error, reset, connect-failure, /,
      ),
      'spec.retries.perTryTimeout: must be longer than 0s',
      'spec.retries.backoff.baseInterval: is required',
      'spec.retries.backoff.maxInterval: must be longer than 0s',
      'spec.retries.budget.percent: must be <= 100',
      'spec.retries.budget.minConcurrency: must be >= 1',
    ]);
    expect(
      issues({
        retries: {
          attempts: -1,
          on: [],
          backoff: { baseInterval: '0s' },
          budget: { percent: -1, minConcurrency: 2 ** 32 },
        },
      }),
    ).toEqual([
      'spec.retries.attempts: must be >= 0',
      'spec.retries.on: must have at least 1 item(s)',
      'spec.retries.backoff.baseInterval: must be longer than 0s',
      'spec.retries.budget.percent: must be >= 0',
      'spec.retries.budget.minConcurrency: must be <= 4294967295',
    ]);
  });
});

describe('outlier detection', () => {
  it('fills its defaults', () => {
    expect(spec({ outlierDetection: {} }).outlierDetection).toEqual({
      successRateMinimumHosts: 5,
      successRateRequestVolume: 100,
      failurePercentageMinimumHosts: 2,
      failurePercentageRequestVolume: 50,
      interval: '10s',
      baseEjectionTime: '30s',
      maxEjectionTime: '300s',
      maxEjectionPercent: 10,
    });
  });

  it('keeps what is given at the edges of each range', () => {
    const o = {
      consecutive5xx: 1,
      consecutiveGatewayFailure: 0xffff_ffff,
      successRateStdevFactor: 100,
      successRateMinimumHosts: 1,
      successRateRequestVolume: 1,
      failurePercentageThreshold: 0,
      failurePercentageMinimumHosts: 1,
      failurePercentageRequestVolume: 1,
      interval: '1ms',
      baseEjectionTime: '1ms',
      maxEjectionTime: '1ms',
      maxEjectionPercent: 0,
    };
    expect(spec({ outlierDetection: o }).outlierDetection).toEqual(o);
    expect(
      issues({
        outlierDetection: {
          successRateStdevFactor: 0.001,
          failurePercentageThreshold: 100,
          maxEjectionPercent: 100,
        },
      }),
    ).toEqual([]);
  });

  it('refuses what is out of range', () => {
    const P = 'spec.outlierDetection';
    expect(
      issues({
        outlierDetection: {
          consecutive5xx: 0,
          consecutiveGatewayFailure: 0,
          successRateStdevFactor: 0,
          successRateMinimumHosts: 0,
          successRateRequestVolume: 0,
          failurePercentageThreshold: 101,
          failurePercentageMinimumHosts: 0,
          failurePercentageRequestVolume: 0,
          interval: '0s',
          baseEjectionTime: '0s',
          maxEjectionTime: '0s',
          maxEjectionPercent: 101,
        },
      }),
    ).toEqual([
      `${P}.consecutive5xx: must be >= 1`,
      `${P}.consecutiveGatewayFailure: must be >= 1`,
      `${P}.successRateStdevFactor: must be > 0`,
      `${P}.successRateMinimumHosts: must be >= 1`,
      `${P}.successRateRequestVolume: must be >= 1`,
      `${P}.failurePercentageThreshold: must be <= 100`,
      `${P}.failurePercentageMinimumHosts: must be >= 1`,
      `${P}.failurePercentageRequestVolume: must be >= 1`,
      `${P}.interval: must be longer than 0s`,
      `${P}.baseEjectionTime: must be longer than 0s`,
      `${P}.maxEjectionTime: must be longer than 0s`,
      `${P}.maxEjectionPercent: must be <= 100`,
    ]);
    expect(
      issues({
        outlierDetection: {
          consecutive5xx: 2 ** 32,
          successRateStdevFactor: 100.5,
          failurePercentageThreshold: -1,
          maxEjectionPercent: -1,
        },
      }),
    ).toEqual([
      `${P}.consecutive5xx: must be <= 4294967295`,
      `${P}.successRateStdevFactor: must be <= 100`,
      `${P}.failurePercentageThreshold: must be >= 0`,
      `${P}.maxEjectionPercent: must be >= 0`,
    ]);
    expect(issues({ outlierDetection: { failurePercentageThreshold: 1.5 } })).toEqual([
      `${P}.failurePercentageThreshold: must be an integer`,
    ]);
  });
});

describe('circuit breakers', () => {
  it('take 0 to 2^32 - 1 for each limit', () => {
    const all = (n: number) => ({ maxConnections: n, maxRequests: n, maxPendingRequests: n, maxRetries: n });
    expect(spec({ circuitBreakers: all(0) }).circuitBreakers).toEqual(all(0));
    expect(spec({ circuitBreakers: all(0xffff_ffff) }).circuitBreakers).toEqual(all(0xffff_ffff));
    const P = 'spec.circuitBreakers';
    expect(issues({ circuitBreakers: all(-1) })).toEqual(
      ['maxConnections', 'maxRequests', 'maxPendingRequests', 'maxRetries'].map(
        (k) => `${P}.${k}: must be >= 0`,
      ),
    );
    expect(issues({ circuitBreakers: all(2 ** 32) })).toEqual(
      ['maxConnections', 'maxRequests', 'maxPendingRequests', 'maxRetries'].map(
        (k) => `${P}.${k}: must be <= 4294967295`,
      ),
    );
  });
});

describe('proxyless balancing', () => {
  it('fills the measured defaults', () => {
    expect(spec({ proxylessBalancing: {} }).proxylessBalancing).toEqual({
      mode: 'weights',
      reportPeriod: '250ms',
      blackoutPeriod: '1s',
      weightExpiration: '3m',
      weightUpdatePeriod: '250ms',
      errorUtilizationPenalty: 1,
    });
  });

  it('keeps what is given and refuses what is out of range', () => {
    const p = {
      mode: 'orca',
      reportPeriod: '1s',
      blackoutPeriod: '0s',
      weightExpiration: '1s',
      weightUpdatePeriod: '1s',
      errorUtilizationPenalty: 0,
    };
    expect(spec({ proxylessBalancing: p }).proxylessBalancing).toEqual(p);
    expect(issues({ proxylessBalancing: { errorUtilizationPenalty: 100 } })).toEqual([]);
    const P = 'spec.proxylessBalancing';
    expect(
      issues({
        proxylessBalancing: {
          mode: 'least',
          reportPeriod: '0s',
          weightExpiration: '0s',
          weightUpdatePeriod: '0s',
          errorUtilizationPenalty: 101,
        },
      }),
    ).toEqual([
      `${P}.mode: must be one of weights, orca, least-load`,
      `${P}.reportPeriod: must be longer than 0s`,
      `${P}.weightExpiration: must be longer than 0s`,
      `${P}.weightUpdatePeriod: must be longer than 0s`,
      `${P}.errorUtilizationPenalty: must be <= 100`,
    ]);
    expect(issues({ proxylessBalancing: { mode: 'weights', errorUtilizationPenalty: -1 } })).toEqual([
      `${P}.errorUtilizationPenalty: must be >= 0`,
    ]);
  });
});

describe('the other spec fields', () => {
  it('wants a header for sticky sessions', () => {
    expect(issues({ sticky: {} })).toEqual(['spec.sticky.header: is required']);
    expect(spec({ sticky: { header: 'x-user' } }).sticky).toEqual({ header: 'x-user' });
  });

  it('mirrors to a named version, 100 % unless a share above 0 is given', () => {
    expect(spec({ mirror: { version: 'v1' } }).mirror).toEqual({ version: 'v1', percent: 100 });
    expect(spec({ mirror: { version: 'v1', percent: 0.5 } }).mirror).toEqual({ version: 'v1', percent: 0.5 });
    expect(issues({ mirror: {} })).toEqual(['spec.mirror.version: is required']);
    expect(issues({ mirror: { version: 'v1', percent: 0 } })).toEqual(['spec.mirror.percent: must be > 0']);
    expect(issues({ mirror: { version: 'v1', percent: 100.5 } })).toEqual([
      'spec.mirror.percent: must be <= 100',
    ]);
  });

  it('takes a zero timeout but no zero latency objective', () => {
    expect(spec({ timeout: '0s', latencyObjective: '1ms' })).toMatchObject({
      timeout: '0s',
      latencyObjective: '1ms',
    });
    expect(issues({ latencyObjective: '0s' })).toEqual(['spec.latencyObjective: must be longer than 0s']);
    expect(issues({ timeout: 'soon' })).toEqual([
      'spec.timeout: "soon" is not a duration like 250ms, 1s or 1m30s',
    ]);
  });

  it('knows each load-balancing policy, mTLS mode and backend preference', () => {
    for (const lbPolicy of ['ROUND_ROBIN', 'LEAST_REQUEST', 'RING_HASH', 'RANDOM'])
      expect(spec({ lbPolicy }).lbPolicy).toBe(lbPolicy);
    for (const mtls of ['STRICT', 'PERMISSIVE', 'DISABLE']) expect(spec({ mtls }).mtls).toBe(mtls);
    for (const backendPreference of ['any', 'gpu', 'cpu', 'gpu-overflow-cpu'])
      expect(spec({ backendPreference }).backendPreference).toBe(backendPreference);
    expect(issues({ lbPolicy: 'MAGLEV', mtls: 'ON', backendPreference: 'tpu' })).toEqual([
      'spec.lbPolicy: must be one of ROUND_ROBIN, LEAST_REQUEST, RING_HASH, RANDOM',
      'spec.mtls: must be one of STRICT, PERMISSIVE, DISABLE',
      'spec.backendPreference: must be one of any, gpu, cpu, gpu-overflow-cpu (did you mean "gpu"?)',
    ]);
    expect(spec({ http2: false }).http2).toBe(false);
    expect(issues({ http2: 'yes' })).toEqual(['spec.http2: must be true or false']);
  });

  it('wants one to 32 distinct residency regions', () => {
    expect(spec({ residency: { regions: ['eu'] } }).residency).toEqual({ regions: ['eu'] });
    expect(issues({ residency: {} })).toEqual(['spec.residency.regions: is required']);
    expect(issues({ residency: { regions: [] } })).toEqual([
      'spec.residency.regions: must have at least 1 item(s)',
    ]);
    expect(issues({ residency: { regions: ['eu', 'eu'] } })).toEqual([
      'spec.residency.regions[1]: duplicate "eu"',
    ]);
    const rs = (n: number) => Array.from({ length: n }, (_, i) => `r${i}`);
    expect(issues({ residency: { regions: rs(32) } })).toEqual([]);
    expect(issues({ residency: { regions: rs(33) } })).toEqual([
      'spec.residency.regions: has 33 items; at most 32 are allowed',
    ]);
  });

  it('hands rollout and access to their own checks', () => {
    expect(issues({ rollout: 5, access: 5 })).toEqual([
      'spec.rollout: must be a mapping',
      'spec.access: must be a mapping',
    ]);
    expect(issues({ access: {} })).toEqual([
      'spec.access: sets nothing; give identities, jwt, apiKeys and/or rateLimit (or leave access out)',
    ]);
  });
});
