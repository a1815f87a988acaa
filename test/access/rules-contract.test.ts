// The access rules on the wire (kernel/contract/access-rules.ts) against the policy's own parser
// (control-plane/policy): the pod's check of a route's spec.access, defaults included, equals what
// the control plane parsed and sends; the control plane's message round-trips; and what the pod
// must never take (a symmetric key, HS256, a private key) is refused on the wire too. Also the
// `switchyard apikey create` output and the --access-file errors of `switchyard pod`.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessMessageOf } from '../../control-plane/pipeline/access-publisher.js';
import { JWT_ALGORITHMS, parsePolicyFile } from '../../control-plane/policy/index.js';
import { accessRulesFromYaml, readAccessFile } from '../../data-plane/access/access-file.js';
import { ApiKeyIndex } from '../../data-plane/access/api-keys.js';
import { ACCESS_JWT_ALGORITHMS, checkAccessRules, decodeAccessRules } from '../../kernel/contract/index.js';
import type { Issue } from '../../kernel/errors/index.js';

const ROUTE = `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: fraud, namespace: default }
spec:
  model: fraud
  versions: [{ name: v1, endpoints: [{ address: 127.0.0.1, port: 9000 }] }]
  access:
    identities: [spiffe://switchyard.local/ns/default/sa/web, spiffe://switchyard.local/ns/batch/*]
    jwt:
      issuer: https://issuer.example
      audiences: [fraud-api]
      jwks: { uri: https://issuer.example/.well-known/jwks.json }
      scopes: [predict]
    apiKeys:
      - { sha256: ${'ab'.repeat(32)}, tenant: acme, name: acme-prod }
    rateLimit:
      model: { rps: 1000 }
      perTenant: { rps: 50, burst: 10 }
      tenants: { acme: { rps: 200 } }
`;

describe('access rules on the wire', () => {
  it('are what the policy parser made of spec.access, defaults included', () => {
    const [route] = parsePolicyFile(ROUTE, 'fraud.yaml');
    const issues: Issue[] = [];
    expect(checkAccessRules(route!.spec.access, 'access', issues)).toEqual(route!.spec.access);
    expect(issues).toEqual([]);
    expect(accessRulesFromYaml(ROUTE, 'f').models.fraud).toEqual(route!.spec.access);
    expect([...ACCESS_JWT_ALGORITHMS]).toEqual([...JWT_ALGORITHMS]);
  });

  it('round-trip from the control plane, and a route without access is left out (open)', () => {
    const routes = parsePolicyFile(
      `${ROUTE}---\n${ROUTE.replace(/fraud/g, 'churn').replace(/ {2}access:[\s\S]*$/, '')}`,
      'x',
    );
    const { version, body } = accessMessageOf(routes);
    const { msg, issues } = decodeAccessRules(body);
    expect(issues).toEqual([]);
    expect(msg!.version).toBe(version);
    expect(Object.keys(msg!.models)).toEqual(['fraud']);
    expect(accessMessageOf([...routes].reverse()).version).toBe(version);
  });

  it('refuse what a pod must never verify with, naming where', () => {
    const bad = (access: unknown) => {
      const issues: Issue[] = [];
      expect(checkAccessRules(access, 'm', issues)).toBeUndefined();
      return issues.map((i) => i.path).join(' ');
    };
    const jwt = { issuer: 'i', audiences: ['a'], jwks: { inline: { keys: [{ kty: 'EC' }] } } };
    expect(bad({ jwt: { ...jwt, algorithms: ['HS256'] } })).toBe('m.jwt.algorithms');
    expect(bad({ jwt: { ...jwt, jwks: { inline: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } } } })).toBe(
      'm.jwt.jwks.inline',
    );
    expect(bad({ jwt: { ...jwt, jwks: { inline: { keys: [{ kty: 'EC', d: 'x' }] } } } })).toBe(
      'm.jwt.jwks.inline',
    );
    expect(bad({ jwt: { ...jwt, jwks: { uri: 'http://issuer.example/jwks' } } })).toBe('m.jwt.jwks.uri');
    expect(bad({ apiKeys: [{ sha256: 'ABC', tenant: 't' }] })).toBe('m.apiKeys[0]');
    expect(bad({ rateLimit: { model: { rps: 0 } } })).toBe('m.rateLimit.model');
    expect(bad({ identities: ['https://not-spiffe'] })).toBe('m.identities');
    expect(
      decodeAccessRules(new TextEncoder().encode('{"version":"v","models":{"m":{"jwt":{}}}}')).msg,
    ).toBeUndefined();
    expect(decodeAccessRules(new TextEncoder().encode('nope')).issues[0]!.message).toBe('is not JSON');
  });
});

const BIN = fileURLToPath(new URL('../../switchyard.mjs', import.meta.url));
let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'sy-access-cli-'));
});
afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(process.execPath, [BIN, ...args], { encoding: 'utf8', stdio: 'pipe' });
    return { code: 0, stdout, stderr: '' };
  } catch (err) {
    const e = err as { status: number; stdout: string; stderr: string };
    return { code: e.status, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('operator commands', { timeout: 120_000 }, () => {
  it('`apikey create` prints a key once and the apiKeys entry whose hash admits it', async () => {
    const r = cli(['apikey', 'create', '--tenant', 'acme', '--name', 'acme-prod']);
    expect(r.code).toBe(0);
    const key = /^key: (sy_\S+)$/m.exec(r.stdout)![1]!;
    const entry = /^- (\{ sha256: .* \})$/m.exec(r.stdout)![1]!;
    const file = join(scratch, 'route.yaml');
    await writeFile(file, ROUTE.replace(/ {6}- \{ sha256: .*\n/, `      - ${entry}\n`));
    const rules = await readAccessFile(file);
    expect(new ApiKeyIndex(new Map(Object.entries(rules.models))).lookup(key, 'fraud')).toEqual({
      model: 'fraud',
      tenant: 'acme',
    });
    expect(cli(['apikey', 'create', '--help']).stdout).toMatch(/--tenant/);
    expect(cli(['apikey', 'create']).stderr).toMatch(/--tenant is required/);
  });

  it('`pod --access-file` names the file and the problem, and refuses it with --nats', async () => {
    const file = join(scratch, 'bad.yaml');
    await writeFile(file, ROUTE.replace('rps: 1000', 'rps: -1'));
    const r = cli([
      'pod',
      '--model-repo',
      scratch,
      '--allow-empty-repo',
      '--access-file',
      file,
      '--http-port',
      '0',
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      `--access-file ${file}: document 1: spec.access.rateLimit.model: must be {rps > 0, burst}`,
    );
    const both = cli(['pod', '--model-repo', scratch, '--access-file', file, '--nats', 'nats://127.0.0.1:1']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--access-file is for a pod without --nats/);
    expect(cli(['pod', '--help']).stdout).toMatch(/--access-file/);
  });
});
