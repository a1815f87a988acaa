import { describe, expect, it } from 'vitest';
import { PolicyParseError, PolicyValidationError } from '../../kernel/errors/index.js';
import { checkPolicySet, parsePolicyFile, policyId, resolveOwners, validatePolicy } from './index.js';

const EXAMPLE = `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: resnet, namespace: default }
spec:
  model: resnet
  versions:
    - name: v1
      weight: 90
      endpoints: [{ address: 127.0.0.1, port: 8001, region: ae-north }]
    - name: v2
      weight: 10
  match:
    - headers: { x-cohort: beta }
      version: v2
  outlierDetection: { consecutive5xx: 5, failurePercentageThreshold: 50, interval: 1s,
                      baseEjectionTime: 30s, maxEjectionPercent: 50 }
  mtls: STRICT
  residency: { regions: [ae-north] }
`;

function issuesOf(text: string): string[] {
  try {
    parsePolicyFile(text, 'p.yaml');
  } catch (err) {
    if (err instanceof PolicyValidationError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  throw new Error('expected a PolicyValidationError');
}

function doc(spec: string, name = 'p'): string {
  return `apiVersion: switchyard.dev/v1alpha1\nkind: ModelRoute\nmetadata: { name: ${name} }\nspec:\n${spec
    .trim()
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')}\n`;
}

describe('parsePolicyFile', () => {
  it('reads the example ModelRoute and fills safe defaults', () => {
    const [r] = parsePolicyFile(EXAMPLE, 'example.yaml');
    expect(r!.metadata).toEqual({ name: 'resnet', namespace: 'default' });
    expect(r!.spec.versions.map((v) => [v.name, v.weight])).toEqual([
      ['v1', 90],
      ['v2', 10],
    ]);
    expect(r!.spec.versions[0]!.endpoints).toEqual([
      { address: '127.0.0.1', port: 8001, region: 'ae-north' },
    ]);
    expect(r!.spec.match).toEqual([{ headers: { 'x-cohort': { exact: 'beta' } }, version: 'v2' }]);
    expect(r!.spec.outlierDetection).toMatchObject({
      consecutive5xx: 5,
      failurePercentageThreshold: 50,
      interval: '1s',
      maxEjectionTime: '300s',
      failurePercentageMinimumHosts: 2,
    });
    expect(r!.spec).toMatchObject({
      timeout: '30s',
      lbPolicy: 'ROUND_ROBIN',
      http2: true,
      backendPreference: 'any',
      retries: { attempts: 2, on: ['connect-failure', 'refused-stream', 'unavailable'] },
    });
  });

  it('defaults a lone version to weight 100, namespace to default, mtls to PERMISSIVE', () => {
    const [r] = parsePolicyFile(doc('model: m\nversions: [{ name: v1 }]'), 'x.yaml');
    expect(r!.spec.versions[0]!.weight).toBe(100);
    expect(r!.metadata.namespace).toBe('default');
    expect(r!.spec.mtls).toBe('PERMISSIVE');
  });

  it('reports every problem at once, each with its path', () => {
    const issues = issuesOf(
      doc(`
model: m
verisons: []
versions:
  - { name: v1, weight: -1 }
  - { name: v1, weight: 5 }
  - { name: v3 }
match:
  - headers: { x-cohort: { prefx: beta } }
    version: v9
timeout: 5
retries: { perTryTimeout: 1x }
mtls: STRIKT
`),
    );
    expect(issues).toEqual(
      expect.arrayContaining([
        'spec.verisons: unknown field (did you mean "versions"?)',
        'spec.versions[0].weight: must be >= 0',
        'spec.versions[1].name: duplicate version "v1"',
        'spec.versions[2].weight: is required when there is more than one version',
        'spec.match[0].headers.x-cohort: must set exactly one of exact, prefix, regex, present (unknown: prefx)',
        'spec.match[0].version: unknown version "v9" (versions: v1, v3)',
        'spec.timeout: 5 is not a duration like 250ms, 1s or 1m30s',
        'spec.retries.perTryTimeout: "1x" is not a duration like 250ms, 1s or 1m30s',
        'spec.mtls: must be one of STRICT, PERMISSIVE, DISABLE (did you mean "STRICT"?)',
      ]),
    );
    expect(issues).toHaveLength(9);
  });

  it('rejects weights summing to 0 and suggests near version names', () => {
    expect(issuesOf(doc('model: m\nversions: [{ name: v1, weight: 0 }, { name: v2, weight: 0 }]'))).toEqual([
      'spec.versions: weights sum to 0; at least one version needs a weight above 0',
    ]);
    expect(
      issuesOf(
        doc('model: m\nversions: [{ name: canary, weight: 1 }]\nmirror: { version: canry, percent: 5 }'),
      ),
    ).toEqual(['spec.mirror.version: unknown version "canry" (did you mean "canary"?) (versions: canary)']);
  });

  it('checks header match kinds, regexes (RE2) and header names', () => {
    const issues = issuesOf(
      doc(`
model: m
versions: [{ name: v1 }]
match:
  - headers: { X-Cohort: beta, a: { regex: "(?=x)" }, b: { regex: "[" }, c: { present: yes } }
    version: v1
`),
    );
    expect(issues).toEqual([
      'spec.match[0].headers.X-Cohort: "X-Cohort" is not a lower-case HTTP header name',
      "spec.match[0].headers.a.regex: uses look-around '(?=' at offset 0, which RE2 (Envoy, gRPC) does not support",
      expect.stringMatching(/^spec\.match\[0\]\.headers\.b\.regex: is not a valid regular expression/),
      'spec.match[0].headers.c.present: must be true or false',
    ]);
  });

  it('keeps residency and backend preference consistent with static endpoints', () => {
    const issues = issuesOf(
      doc(`
model: m
versions:
  - name: v1
    endpoints: [{ address: 10.0.0.1, port: 1, region: us-east, backend: gpu }, { address: 10.0.0.2, port: 1 }, { address: 10.0.0.2, port: 1, region: eu }]
residency: { regions: [eu] }
backendPreference: gpu
`),
    );
    expect(issues).toEqual([
      'spec.versions[0].endpoints[0].region: "us-east" is outside residency regions eu',
      'spec.versions[0].endpoints[1].region: is required by residency (regions: eu)',
      'spec.versions[0].endpoints[1].backend: must be "gpu": backendPreference gpu never routes to an unlabeled endpoint',
      'spec.versions[0].endpoints[2]: duplicate endpoint 10.0.0.2:1',
      'spec.versions[0].endpoints[2].backend: must be "gpu": backendPreference gpu never routes to an unlabeled endpoint',
    ]);
  });

  it('takes an optional HTTP port on a static endpoint, for the REST clusters, in 1..65535', () => {
    const [r] = parsePolicyFile(
      doc(
        'model: m\nversions:\n  - name: v1\n    endpoints: [{ address: 10.0.0.1, port: 8001, httpPort: 8000 }, { address: 10.0.0.2, port: 8001 }]',
      ),
      'h.yaml',
    );
    expect(r!.spec.versions[0]!.endpoints!.map((e) => e.httpPort)).toEqual([8000, undefined]);
    const issues = issuesOf(
      doc(
        'model: m\nversions:\n  - name: v1\n    endpoints: [{ address: 10.0.0.1, port: 8001, httpPort: 0 }, { address: 10.0.0.2, port: 8001, httpPort: "8000" }]',
      ),
    );
    expect(issues).toEqual([
      expect.stringMatching(/^spec\.versions\[0\]\.endpoints\[0\]\.httpPort: /),
      expect.stringMatching(/^spec\.versions\[0\]\.endpoints\[1\]\.httpPort: /),
    ]);
  });

  it('checks option combinations: sticky needs RING_HASH, outlier detection needs a detector', () => {
    expect(
      issuesOf(
        doc(
          'model: m\nversions: [{ name: v1 }]\nsticky: { header: x-user }\nlbPolicy: LEAST_REQUEST\noutlierDetection: { interval: 1s }',
        ),
      ),
    ).toEqual([
      'spec.lbPolicy: sticky routing hashes a header: it needs RING_HASH (or leave lbPolicy unset)',
      'spec.outlierDetection: enable at least one of consecutive5xx, consecutiveGatewayFailure, successRateStdevFactor, failurePercentageThreshold',
    ]);
    const [r] = parsePolicyFile(
      doc('model: m\nversions: [{ name: v1 }]\nsticky: { header: x-user }'),
      's.yaml',
    );
    expect(r!.spec.lbPolicy).toBe('RING_HASH');
  });

  it('reads several documents, prefixing paths with the document index', () => {
    const two = `${doc('model: a\nversions: [{ name: v1 }]', 'a')}---\n${doc('model: b\nversions: [{ name: v1 }]', 'b')}---\n`;
    expect(parsePolicyFile(two, 'two.yaml').map((r) => r.spec.model)).toEqual(['a', 'b']);
    const bad = `${doc('model: a\nversions: [{ name: v1 }]', 'a')}---\n${doc('model: b\nversions: []', 'b')}`;
    expect(issuesOf(bad)).toEqual(['documents[1].spec.versions: must have at least 1 item(s)']);
    const clash = `${doc('model: a\nversions: [{ name: v1 }]', 'a')}---\n${doc('model: a\nversions: [{ name: v1 }]', 'b')}`;
    expect(issuesOf(clash)).toEqual([
      'default/b.spec.model: model "a" is already routed by default/a; one policy per model',
    ]);
  });

  it('throws PolicyParseError for broken YAML and for documents that are not ModelRoutes', () => {
    expect(() => parsePolicyFile('a: [1, 2', 'x.yaml')).toThrow(PolicyParseError);
    expect(() => parsePolicyFile('a: 1\na: 2\n', 'x.yaml')).toThrow(/x\.yaml: line 2/);
    expect(() =>
      parsePolicyFile('apiVersion: switchyard.dev/v1alpha1\nkind: ModelRoutes\nspec: {}', 'x.yaml'),
    ).toThrow(/kind "ModelRoutes" is not ModelRoute \(did you mean "ModelRoute"\?\)/);
    expect(() => parsePolicyFile('apiVersion: v1\nkind: ModelRoute\n', 'x.yaml')).toThrow(/apiVersion "v1"/);
    expect(parsePolicyFile('', 'empty.yaml')).toEqual([]);
  });

  it('throws PolicyParseError, naming the file, for aliases that expand without bound', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) {
      const [prev, cur] = [String.fromCharCode(96 + i), String.fromCharCode(97 + i)];
      levels.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    }
    const bomb = () => parsePolicyFile(levels.join('\n'), 'lol.yaml');
    expect(bomb).toThrow(PolicyParseError);
    expect(bomb).toThrow(/^lol\.yaml: .*alias/i);
  });

  it('suggests the apiVersion when it is a near miss', () => {
    expect(() => parsePolicyFile('apiVersion: switchyard.dev/v1alpha\nkind: ModelRoute\n', 'x.yaml')).toThrow(
      /is not switchyard\.dev\/v1alpha1 \(did you mean "switchyard\.dev\/v1alpha1"\?\)/,
    );
  });
});

describe('checkPolicySet', () => {
  it('finds two policies claiming one model and duplicate policy names', () => {
    const [a] = parsePolicyFile(doc('model: m\nversions: [{ name: v1 }]', 'a'), 'a.yaml');
    const [b] = parsePolicyFile(doc('model: m\nversions: [{ name: v1 }]', 'b'), 'b.yaml');
    const [c] = parsePolicyFile(doc('model: other\nversions: [{ name: v1 }]', 'a'), 'c.yaml');
    expect(checkPolicySet([a!, b!, c!])).toEqual([
      { path: 'default/a.metadata.name', message: 'duplicate policy default/a' },
      {
        path: 'default/b.spec.model',
        message: 'model "m" is already routed by default/a; one policy per model',
      },
    ]);
    expect(checkPolicySet([a!, c!].slice(0, 1))).toEqual([]);
  });
});

describe('resolveOwners', () => {
  const route = (name: string, model: string, namespace = 'default') =>
    parsePolicyFile(
      doc(`model: ${model}\nversions: [{ name: v1 }]`, name).replace(
        `{ name: ${name} }`,
        `{ name: ${name}, namespace: ${namespace} }`,
      ),
      `${name}.yaml`,
    )[0]!;

  it('gives each model to the policy whose namespace/name sorts first, whatever the order', () => {
    const mlp = route('mlp', 'mlp');
    const two = route('mlp-two', 'mlp');
    const other = route('aaa', 'mlp', 'prod');
    const bee = route('bee', 'bee');
    for (const order of [
      [two, mlp, other, bee],
      [bee, other, mlp, two],
    ]) {
      const { routes, conflicts } = resolveOwners(order);
      expect(routes.map(policyId).sort()).toEqual(['default/bee', 'default/mlp']);
      expect(conflicts).toEqual([
        { policy: 'default/mlp-two', model: 'mlp', owner: 'default/mlp' },
        { policy: 'prod/aaa', model: 'mlp', owner: 'default/mlp' },
      ]);
    }
  });
});

describe('parsed routes', () => {
  it('are frozen, so a change is a new route (the translator memoizes by identity)', () => {
    const [r] = parsePolicyFile(EXAMPLE, 'example.yaml');
    expect(Object.isFrozen(r)).toBe(true);
    expect(Object.isFrozen(r!.spec.versions[0])).toBe(true);
    expect(() => {
      (r!.spec.versions[0] as { weight: number }).weight = 1;
    }).toThrow(TypeError);
  });
});

describe('documents that are not ModelRoutes', () => {
  const head = 'apiVersion: switchyard.dev/v1alpha1\nkind: ModelRoute\n';
  const message = (text: string) => {
    try {
      parsePolicyFile(text, 'x.yaml');
    } catch (err) {
      if (err instanceof PolicyParseError) return err.message;
      throw err;
    }
    throw new Error('expected a PolicyParseError');
  };

  it('names the document, counting from 1, only when the file has several', () => {
    expect(message('- a\n- b\n')).toBe('x.yaml: is not a mapping (a ModelRoute document)');
    expect(message(`${doc('model: a\nversions: [{ name: v1 }]', 'a')}---\n[1]\n`)).toBe(
      'x.yaml: document 2: is not a mapping (a ModelRoute document)',
    );
    expect(message(`${doc('model: a\nversions: [{ name: v1 }]', 'a')}---\na: [1\n`)).toMatch(
      /^x\.yaml: document 2: line \d+:\d+: /,
    );
    expect(message('a: [1, 2\n')).toMatch(/^x\.yaml: line \d+:\d+: /);
  });

  it('gives the line and column of a YAML error', () => {
    expect(message('a: 1\nb: 2\n  c: 3\n')).toMatch(/^x\.yaml: line 2:4: Nested mappings/);
  });

  it('quotes a kind or apiVersion that is not a string, without a suggestion', () => {
    expect(message('apiVersion: switchyard.dev/v1alpha1\nkind: 5\n')).toBe(
      'x.yaml: kind 5 is not ModelRoute',
    );
    expect(message('kind: ModelRoute\napiVersion: [a]\n')).toBe(
      'x.yaml: apiVersion ["a"] is not switchyard.dev/v1alpha1',
    );
    expect(message('kind: ModelRoute\n')).toBe('x.yaml: apiVersion undefined is not switchyard.dev/v1alpha1');
    expect(message(`${head.replace('ModelRoute', 'Service')}`)).toBe(
      'x.yaml: kind "Service" is not ModelRoute',
    );
  });

  it('skips empty documents, wherever they are', () => {
    const one = doc('model: a\nversions: [{ name: v1 }]', 'a');
    expect(parsePolicyFile(`---\n${one}---\n---\n`, 'x.yaml').map((r) => r.metadata.name)).toEqual(['a']);
  });
});

describe('validatePolicy', () => {
  it('checks the cross-field rules even where the schema found problems, and returns nothing then', () => {
    const issues: { path: string; message: string }[] = [];
    const r = validatePolicy(
      {
        apiVersion: 'switchyard.dev/v1alpha1',
        kind: 'ModelRoute',
        metadata: { name: 'p' },
        spec: {
          model: 'm',
          mtls: 'NONE',
          versions: [
            { name: 'v1', weight: 1 },
            { name: 'v1', weight: 1 },
          ],
        },
      },
      issues,
    );
    expect(r).toBeUndefined();
    expect(issues.map((i) => i.path)).toEqual(['spec.mtls', 'spec.versions[1].name']);
  });

  it('appends to the issues it is given and returns a frozen route when there are none', () => {
    const issues = [{ path: 'earlier', message: 'kept' }];
    const r = validatePolicy(
      {
        apiVersion: 'switchyard.dev/v1alpha1',
        kind: 'ModelRoute',
        metadata: { name: 'p' },
        spec: { model: 'm', versions: [{ name: 'v1' }] },
      },
      issues,
    );
    expect(issues).toEqual([{ path: 'earlier', message: 'kept' }]);
    expect(r?.spec.model).toBe('m');
    expect(Object.isFrozen(r!.spec.versions)).toBe(true);
    expect(Object.isFrozen(r!.metadata)).toBe(true);
  });

  it('refuses a document that is not a mapping', () => {
    const issues: { path: string; message: string }[] = [];
    expect(validatePolicy('text', issues)).toBeUndefined();
    expect(issues).toEqual([{ path: '', message: 'must be a mapping' }]);
  });
});

describe('policies of one file', () => {
  it('reports a clash between documents only once every document is valid', () => {
    const a = doc('model: a\nversions: [{ name: v1 }]', 'a');
    const b = doc('model: a\nversions: [{ name: v1 }]', 'b');
    const bad = doc('model: c\nversions: []', 'c');
    expect(issuesOf(`${a}---\n${b}---\n${bad}`)).toEqual([
      'documents[2].spec.versions: must have at least 1 item(s)',
    ]);
  });
});
