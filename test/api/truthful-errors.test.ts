// The admin API's errors say what is wrong, with the right status and code, and nothing about
// its internals: bad path segments, reasons and document headers are the caller's mistake (4xx),
// a caller without credentials is told so (401), file errors and idempotency keys stay with
// their callers, and a store that is down is SY_STORE (503, CLI exit 6) within seconds.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { type ApiFixture, apiKey, routeDoc, startApi } from './fixture.js';

let fx: ApiFixture;
let admin: Record<string, string>;
let policyDir: string;
const work = mkdtempSync(join(tmpdir(), 'sy-errors-'));

beforeAll(async () => {
  policyDir = join(work, 'policies');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(policyDir);
  writeFileSync(join(policyDir, 'broken.yaml'), 'apiVersion: switchyard.dev/v1alpha1\nkind: [\n');
  fx = await startApi({ policyDir });
  admin = apiKey(fx.keys['admin-all']);
});
afterAll(async () => {
  await fx?.close();
  rmSync(work, { recursive: true, force: true });
});

/** No JetStream subject, bucket or stack in a message a caller sees. */
function expectNoInternals(message: string): void {
  expect(message).not.toMatch(/\$KV|switchyard_policies|\$JS|at .*\.ts:\d+/);
}

describe('bad path segments', () => {
  it.each([
    ['%E0%A4%A', /not valid percent-encoding/],
    ['*', /namespace "\*" is not valid/],
    ['..%2F', /namespace "\.\.\/" is not valid/],
  ])('namespace %s is a 400 naming the segment', async (segment, message) => {
    for (const method of ['GET', 'DELETE'] as const) {
      const r = await fx.call(method, `/api/v1/namespaces/${segment}/policies/x`, undefined, admin);
      expect(r.status).toBe(400);
      expect(r.json.code).toBe('SY_OPTION_INVALID');
      expect(r.json.message).toMatch(message);
      expectNoInternals(r.json.message);
    }
  });

  it('a bad policy name is a 400 too, for history and rollback', async () => {
    const h = await fx.call('GET', '/api/v1/namespaces/default/policies/a*b/history', undefined, admin);
    expect(h.status).toBe(400);
    expect(h.json.message).toMatch(/name "a\*b" is not valid/);
    const rb = await fx.call(
      'POST',
      '/api/v1/namespaces/default/policies/..%2Fx/rollback',
      { toRevision: 1 },
      admin,
    );
    expect(rb.status).toBe(400);
    expectNoInternals(rb.json.message);
  });
});

describe('request bodies', () => {
  it('a reason that is not a string, or too long, is a 400 naming it', async () => {
    // Deep enough to overflow the stack when turned into a string, shallow enough for JSON.parse.
    const deep = `${'['.repeat(8000)}"x"${']'.repeat(8000)}`;
    const body = `{"document":${JSON.stringify(routeDoc('reasoned'))},"reason":${deep}}`;
    const res = await fetch(`${fx.url}/api/v1/policies`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...admin },
      body,
    });
    expect(res.status).toBe(400);
    const json = (await res.json()) as { code: string; message: string };
    expect(json).toMatchObject({ code: 'SY_OPTION_INVALID' });
    expect(json.message).toMatch(/^reason: must be a string, not an array/);
    const long = await fx.call(
      'POST',
      '/api/v1/policies',
      { document: routeDoc('reasoned'), reason: 'r'.repeat(5000) },
      admin,
    );
    expect(long.status).toBe(400);
    expect(long.json.message).toMatch(/reason: 5000 characters, at most 1024/);
    const get = await fx.call('GET', '/api/v1/namespaces/default/policies/reasoned', undefined, admin);
    expect(get.status).toBe(404);
  });

  it.each([
    [
      'apiVersion',
      'switchyard.dev/v1',
      /^request: apiVersion "switchyard.dev\/v1" is not switchyard.dev\/v1alpha1$/,
    ],
    [
      'apiVersion',
      'switchyard.dev/v1alpha',
      /is not switchyard.dev\/v1alpha1 \(did you mean "switchyard.dev\/v1alpha1"\?\)$/,
    ],
    ['kind', 'ModelRoutes', /kind "ModelRoutes" is not ModelRoute \(did you mean "ModelRoute"\?\)/],
  ])('a wrong %s is refused as SY_POLICY_PARSE and not stored', async (field, value, message) => {
    const doc = { ...routeDoc(`wrong-${field.toLowerCase()}`), [field]: value };
    const name = doc.metadata.name;
    const r = await fx.call('POST', '/api/v1/policies', { document: doc }, admin);
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('SY_POLICY_PARSE');
    expect(r.json.message).toMatch(message);
    const d = await fx.call('POST', '/api/v1/policies/diff', { document: doc }, admin);
    expect(d.json.code).toBe('SY_POLICY_PARSE');
    const get = await fx.call('GET', `/api/v1/namespaces/default/policies/${name}`, undefined, admin);
    expect(get.status).toBe(404);
  });
});

describe('callers', () => {
  it('no credentials is 401 SY_UNAUTHENTICATED; a known caller without the role is 403', async () => {
    const anon = await fx.call('POST', '/api/v1/policies', { document: routeDoc('who') });
    expect(anon.status).toBe(401);
    expect(anon.json.code).toBe('SY_UNAUTHENTICATED');
    expect(anon.json.message).toMatch(/no credentials/);
    const anonGet = await fx.call('GET', '/api/v1/proxies');
    expect(anonGet.status).toBe(401);
    const viewer = await fx.call(
      'POST',
      '/api/v1/policies',
      { document: routeDoc('who') },
      apiKey(fx.keys['viewer-default']),
    );
    expect(viewer.status).toBe(403);
    expect(viewer.json.code).toBe('SY_FORBIDDEN');
  });

  it('lists show GitOps file errors only to callers who may see every namespace', async () => {
    const all = await fx.call('GET', '/api/v1/policies', undefined, admin);
    expect(all.status).toBe(200);
    expect(all.json.errors.map((e: { file: string }) => e.file)).toEqual([
      expect.stringMatching(/broken\.yaml$/),
    ]);
    for (const headers of [{}, apiKey(fx.keys['viewer-default'])]) {
      const r = await fx.call('GET', '/api/v1/policies', undefined, headers);
      expect(r.status).toBe(200);
      expect(r.json.errors).toEqual([]);
    }
  });

  it('idempotency keys belong to their caller', async () => {
    const key = { 'idempotency-key': 'shared-key-1' };
    const a = await fx.call(
      'POST',
      '/api/v1/policies',
      { document: routeDoc('idem-a') },
      { ...apiKey(fx.keys['operator-default']), ...key },
    );
    expect(a.status).toBe(201);
    // Another caller, same key, another document: its own request, neither refused nor replayed.
    const b = await fx.call(
      'POST',
      '/api/v1/policies',
      { document: routeDoc('idem-b') },
      { ...admin, ...key },
    );
    expect(b.status).toBe(201);
    expect(b.json).toMatchObject({ name: 'idem-b', outcome: 'created' });
    expect(b.json.replayed).toBeUndefined();
    // The same caller retrying still gets its stored result.
    const again = await fx.call(
      'POST',
      '/api/v1/policies',
      { document: routeDoc('idem-a') },
      { ...apiKey(fx.keys['operator-default']), ...key },
    );
    expect(again.json).toMatchObject({ name: 'idem-a', replayed: true, revision: a.json.revision });
  });
});

describe('the CLI names the file of each refusal', () => {
  it('apply -f DIR prefixes every line of an error with the file path', async () => {
    const dir = join(work, 'apply-dir');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    const bad = {
      ...routeDoc('cli-bad'),
      spec: { ...routeDoc('cli-bad').spec, mtls: 'SOMETIMES', retries: 'x' },
    };
    writeFileSync(join(dir, 'a-bad.yaml'), JSON.stringify(bad));
    const r = await runCli(['apply', '-f', dir, '--server', fx.url], {
      SWITCHYARD_API_KEY: fx.keys['admin-all'],
    });
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines.length).toBeGreaterThan(1);
    for (const l of lines) expect(l).toContain(join(dir, 'a-bad.yaml'));
    expect(r.stderr).toMatch(/spec.mtls/);
  });

  it('a YAML alias bomb is SY_POLICY_PARSE (exit 2), not an internal error', async () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      levels.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const file = join(work, 'lol.yaml');
    writeFileSync(file, `${levels.join('\n')}\n`);
    const r = await runCli(['apply', '-f', file, '--server', fx.url], {
      SWITCHYARD_API_KEY: fx.keys['admin-all'],
    });
    expect(r.stderr).toMatch(/SY_POLICY_PARSE/);
    expect(r.stderr).toContain(file);
    expect(r.code).toBe(2);
  });
});

// Last: it stops the store for good.
describe('store down', () => {
  it('get and apply answer 503 SY_STORE within the store deadline, and the CLI exits 6', async () => {
    await fx.nats.kill();
    for (const [method, path, body] of [
      ['GET', '/api/v1/namespaces/default/policies/idem-a', undefined],
      ['POST', '/api/v1/policies', { document: routeDoc('while-down') }],
      ['GET', '/api/v1/policies', undefined],
    ] as const) {
      const t0 = Date.now();
      const r = await fx.call(method, path, body, admin);
      const ms = Date.now() - t0;
      expect(r.status, `${method} ${path}: ${JSON.stringify(r.json)}`).toBe(503);
      expect(r.json.code).toBe('SY_STORE');
      expect(r.json.message).toMatch(
        /^policy store: cannot .*: (no answer within 2000 ms|NATS JetStream is not reachable)/,
      );
      expectNoInternals(r.json.message);
      // The store deadline is 2 s; a generous margin for a loaded machine, far below the old 6-7 s.
      expect(ms).toBeLessThan(4500);
    }
    const cli = await runCli(['get', 'idem-a', '--server', fx.url], {
      SWITCHYARD_API_KEY: fx.keys['admin-all'],
    });
    expect(cli.stderr).toMatch(/SY_STORE/);
    expect(cli.code).toBe(6);
  });
});
