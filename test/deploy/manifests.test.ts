// deploy/: every manifest parses and holds together (selectors, probes, ports, budgets); the
// generated CRD and JSON Schema are what deploy/gen-schemas.ts writes now; and both schemas
// accept every golden ModelRoute and refuse known-bad ones, as the CLI's validator does.
// No cluster runs here: these checks are what can be proven without one (deploy/README.md).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { validatePolicy } from '../../control-plane/policy/index.js';
import { renderCrdYaml, renderJsonSchema, SCHEMA_FILES } from '../../deploy/schema-files.js';
import { schemaProblems } from '../helpers/schema-check.js';

type Json = Record<string, unknown>;
// biome-ignore lint/suspicious/noExplicitAny: manifests are read field by field
type Doc = any;

const root = new URL('../../', import.meta.url).pathname;
const deploy = join(root, 'deploy');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlFiles(join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

function docsOf(file: string): Doc[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((d) => {
    if (d.errors.length) throw new Error(`${relative(root, file)}: ${d.errors[0]!.message}`);
    return d.toJS();
  });
}

const k8sDocs = yamlFiles(join(deploy, 'kubernetes')).flatMap((f) => docsOf(f).map((d) => ({ file: f, d })));
const find = (kind: string, name: string) =>
  k8sDocs.find(({ d }) => d.kind === kind && d.metadata.name === name)?.d;

describe('deploy/ manifests', () => {
  it('every YAML file under deploy/ parses', () => {
    const files = yamlFiles(deploy);
    expect(files.length).toBeGreaterThanOrEqual(8);
    for (const f of files) expect(() => docsOf(f), relative(root, f)).not.toThrow();
  });

  it('every Kubernetes object has apiVersion, kind and name, namespaced ones in switchyard', () => {
    const clusterScoped = ['Namespace', 'ClusterRole', 'CustomResourceDefinition'];
    for (const { file, d } of k8sDocs) {
      const where = `${relative(root, file)} ${d?.kind}`;
      expect(d.apiVersion, where).toBeTypeOf('string');
      expect(d.kind, where).toBeTypeOf('string');
      expect(d.metadata?.name, where).toBeTypeOf('string');
      if (!clusterScoped.includes(d.kind)) expect(d.metadata.namespace, where).toBe('switchyard');
    }
  });

  it('runs three control-plane replicas with /healthz and /readyz probes, under a budget of two', () => {
    const cp = find('Deployment', 'switchyard-control-plane');
    expect(cp.spec.replicas).toBe(3);
    const c = cp.spec.template.spec.containers[0];
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(c.args).toContain('--store-replicas=3');
    expect(find('PodDisruptionBudget', 'switchyard-control-plane').spec.minAvailable).toBe(2);
  });

  it('checks model pods through grpc.health.v1 on their gRPC port', () => {
    const pods = find('Deployment', 'switchyard-pod');
    const c = pods.spec.template.spec.containers[0];
    const grpcPort = c.ports.find((p: Doc) => p.name === 'grpc').containerPort;
    expect(c.readinessProbe.grpc.port).toBe(grpcPort);
    expect(c.args).toContain('--managed');
    expect(find('PodDisruptionBudget', 'switchyard-pod').spec.maxUnavailable).toBe(1);
  });

  it('selectors of Services and budgets match a Deployment, and named ports exist', () => {
    const deployments = k8sDocs.filter(({ d }) => d.kind === 'Deployment').map(({ d }) => d);
    const matches = (sel: Json) =>
      deployments.filter((dep) =>
        Object.entries(sel).every(([k, v]) => dep.spec.template.metadata.labels[k] === v),
      );
    for (const { d } of k8sDocs) {
      if (d.kind === 'Deployment') expect(matches(d.spec.selector.matchLabels), d.metadata.name).toContain(d);
      if (d.kind === 'PodDisruptionBudget')
        expect(matches(d.spec.selector.matchLabels), d.metadata.name).toHaveLength(1);
      if (d.kind !== 'Service') continue;
      const [dep] = matches(d.spec.selector);
      expect(dep, `Service ${d.metadata.name}`).toBeDefined();
      const names = dep.spec.template.spec.containers.flatMap((c: Doc) => c.ports.map((p: Doc) => p.name));
      for (const p of d.spec.ports)
        if (typeof p.targetPort === 'string')
          expect(names, `${d.metadata.name} ${p.name}`).toContain(p.targetPort);
    }
    for (const dep of deployments)
      for (const c of dep.spec.template.spec.containers) {
        const names = c.ports.map((p: Doc) => p.name);
        for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe].filter(Boolean)) {
          const port = probe.httpGet?.port;
          if (typeof port === 'string') expect(names, `${dep.metadata.name} probe`).toContain(port);
        }
      }
  });

  it('NATS values form a 3-node JetStream cluster with explicit users', () => {
    const [v] = docsOf(join(deploy, 'nats/values.yaml'));
    expect(v.config.cluster).toMatchObject({ enabled: true, replicas: 3 });
    expect(v.config.jetstream.enabled).toBe(true);
    const users = v.config.merge.accounts.SWITCHYARD.users.map((u: Doc) => u.user);
    expect(users).toEqual(['control-plane', 'pod']);
    // A pod may never publish its own assignments.
    expect(v.config.merge.accounts.SWITCHYARD.users[1].permissions.publish.deny).toContain(
      'switchyard.pod.*.assign',
    );
  });

  it('the compose file runs NATS, a control plane and a pod from the one image', () => {
    const [c] = docsOf(join(deploy, 'compose/compose.yaml'));
    expect(Object.keys(c.services).sort()).toEqual(['control-plane', 'nats', 'pod']);
    expect(c.services['control-plane'].command[0]).toBe('control-plane');
    expect(c.services.pod.command[0]).toBe('pod');
  });
});

describe('the ModelRoute CRD and JSON Schema', () => {
  it('are what deploy/gen-schemas.ts writes from the schema the CLI validates with', () => {
    const fix = 'run: npx tsx deploy/gen-schemas.ts';
    expect(readFileSync(join(root, SCHEMA_FILES.crd), 'utf8'), fix).toBe(renderCrdYaml());
    expect(readFileSync(join(root, SCHEMA_FILES.jsonSchema), 'utf8'), fix).toBe(renderJsonSchema());
  });

  const crd = docsOf(join(root, SCHEMA_FILES.crd))[0];
  const openApi = crd.spec.versions[0].schema.openAPIV3Schema as Json;
  const jsonSchema = JSON.parse(readFileSync(join(root, SCHEMA_FILES.jsonSchema), 'utf8')) as Json;

  const goldenDir = join(root, 'control-plane/translate/testdata/in');
  const golden = readdirSync(goldenDir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) =>
      docsOf(join(goldenDir, f))
        .filter((d) => d?.kind === 'ModelRoute')
        .map((d) => ({ f, d })),
    );

  it('accept every golden input', () => {
    expect(golden.length).toBeGreaterThanOrEqual(43);
    for (const { f, d } of golden) {
      expect(validatePolicy(d, []), f).toBeDefined();
      expect(schemaProblems(openApi, d, 'crd'), `CRD: ${f}`).toEqual([]);
      expect(schemaProblems(jsonSchema, d, 'json-schema'), `JSON Schema: ${f}`).toEqual([]);
    }
  });

  const base = () => ({
    apiVersion: 'switchyard.dev/v1alpha1',
    kind: 'ModelRoute',
    metadata: { name: 'resnet', namespace: 'default' },
    spec: {
      model: 'resnet',
      versions: [
        { name: 'v1', weight: 90, endpoints: [{ address: '10.0.0.1', port: 8001 }] },
        { name: 'v2', weight: 10 },
      ],
    },
  });
  const BAD: Record<string, (d: Doc) => void> = {
    'unknown field': (d) => {
      d.spec.versionz = [];
    },
    'misspelt nested field': (d) => {
      d.spec.outlierDetection = { interval: '1s', consecutive5XX: 5 };
    },
    'missing model': (d) => {
      delete d.spec.model;
    },
    'weight as text': (d) => {
      d.spec.versions[0].weight = 'ninety';
    },
    'port out of range': (d) => {
      d.spec.versions[0].endpoints[0].port = 70000;
    },
    'unknown mTLS mode': (d) => {
      d.spec.mtls = 'STRICTER';
    },
    'model name with spaces': (d) => {
      d.spec.model = 'Res Net';
    },
    'duration in words': (d) => {
      d.spec.timeout = '10 seconds';
    },
    'empty version list': (d) => {
      d.spec.versions = [];
    },
    'rollout step without its duration': (d) => {
      d.spec.rollout = { candidate: 'v2', steps: [{ weight: 10 }], analysis: { errorRate: { max: '1%' } } };
    },
  };

  for (const [what, spoil] of Object.entries(BAD))
    it(`refuse ${what}, as the validator does`, () => {
      const d = base();
      expect(schemaProblems(openApi, d, 'crd')).toEqual([]);
      spoil(d);
      expect(validatePolicy(d, [])).toBeUndefined();
      expect(schemaProblems(openApi, d, 'crd'), 'CRD').not.toEqual([]);
      expect(schemaProblems(jsonSchema, d, 'json-schema'), 'JSON Schema').not.toEqual([]);
    });
});
