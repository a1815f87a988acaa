// Secure logging at an enforcing pod (docs/ACCESS.md, "Secure logging"): a real `switchyard pod`
// process with --access-file, mTLS and --log-level debug is called with every credential kind,
// good and bad, and with tensors of recognisable values; its whole output (stdout and stderr,
// JSON and pretty) must hold no token, no API key, no private key and no tensor value, and a
// newline in a client-supplied model name must not start a line of its own.
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeMaterial } from '../../control-plane/pki/index.js';
import type { TlsMaterial } from '../../kernel/tls/index.js';
import { modelRepoCopy } from '../dataplane/harness.js';
import { freePorts } from '../helpers/ports.js';
import { CliProcess } from '../process/processes.js';
import { id, securityCa } from '../security/helpers.js';
import { AUDIENCE, algNoneToken, GrpcCaller, ISSUER, type Issuer, restInfer, testIssuer } from './helpers.js';

const START_MS = 90_000;
const POD = id('models', 'affine');
const WEB = id('apps', 'web');
const KEY = 'sy_GOODKEYgoodkey0123456789abcdef';
const BAD_KEY = 'sy_BADKEYbadkey0123456789abcdef';
const sha = (k: string) => createHash('sha256').update(k).digest('hex');
// Values nothing else prints: if one shows up, a tensor reached a log line.
const SECRET_INPUT = [271828.125, 314159.25, 161803.375, 141421.5, 173205.625, 223606.75];
const FORGED = '{"level":"info","msg":"FORGED-LINE"}';

let scratch: string;
let repo: Awaited<ReturnType<typeof modelRepoCopy>>;
let issuer: Issuer;
let web: TlsMaterial;
let podMaterial: TlsMaterial;
const running: CliProcess[] = [];

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'sy-access-logs-'));
  repo = await modelRepoCopy(['affine']);
  issuer = await testIssuer();
  const sca = await securityCa();
  podMaterial = await sca.material(POD);
  web = await sca.material(WEB);
  await writeMaterial(join(scratch, 'tls'), podMaterial);
  const jwks = JSON.stringify(issuer.jwks);
  await writeFile(
    join(scratch, 'access.yaml'),
    `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: affine }
spec:
  model: affine
  versions: [{ name: "1" }]
  access:
    jwt:
      issuer: ${ISSUER}
      audiences: [${AUDIENCE}]
      jwks: { inline: '${jwks}' }
      algorithms: [ES256]
      scopes: [predict]
    apiKeys:
      - { sha256: ${sha(KEY)}, tenant: acme }
---
apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: secured }
spec:
  model: secured
  versions: [{ name: "1" }]
  access:
    identities: [${WEB}]
`,
  );
});

afterAll(async () => {
  for (const p of running.splice(0)) p.kill();
  await repo?.cleanup();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

async function startPod(format: 'json' | 'pretty', source?: string[]) {
  const [http, grpc, metrics] = await freePorts(3);
  // biome-ignore format: one flag per line reads better
  const p = new CliProcess([
    'pod', '--model-repo', repo.dir, ...(source ?? ['--access-file', join(scratch, 'access.yaml')]),
    '--tls-dir', join(scratch, 'tls'), '--mtls', 'PERMISSIVE',
    '--log-level', 'debug', '--log-format', format, '--drain-grace', '0s', '--intra-op-threads', '1',
    '--http-port', String(http), '--grpc-port', String(grpc), '--metrics-port', String(metrics),
  ]);
  running.push(p);
  await p.waitForOutput(/serving 1 model version/, START_MS);
  return { p, http: http!, grpc: grpc! };
}

/** Every credential kind, good and bad, over both transports; returns the secrets used. */
async function exercise(http: number, grpcPort: number): Promise<string[]> {
  const good = await issuer.sign({ sub: 'alice', scope: 'predict' });
  const rogue = await issuer.sign({ sub: 'mallory', scope: 'predict' }, { key: 'rogue' });
  const expired = await issuer.sign(
    { sub: 'alice', scope: 'predict' },
    { exp: Math.floor(Date.now() / 1000) - 60 },
  );
  const none = algNoneToken({ sub: 'alice' });
  const hs = await issuer.hs256({ sub: 'alice' });
  const grpc = new GrpcCaller(grpcPort);
  const statuses: number[] = [];
  try {
    const creds: Record<string, string>[] = [
      { authorization: `Bearer ${good}` },
      { authorization: `Bearer ${rogue}` },
      { authorization: `Bearer ${expired}` },
      { authorization: `Bearer ${none}` },
      { authorization: `Bearer ${hs}` },
      { 'x-api-key': KEY },
      { 'x-api-key': BAD_KEY },
      {},
    ];
    for (const headers of creds) {
      statuses.push((await grpc.infer({ headers, input: SECRET_INPUT })).status);
      statuses.push((await restInfer(http, { headers, input: SECRET_INPUT })).status);
    }
    // mTLS with the client's own key: admitted by `secured` (which this pod does not serve: 404).
    const tls = { material: web, server: POD };
    const key = { 'x-api-key': KEY };
    statuses.push((await grpc.infer({ tls, headers: key, input: SECRET_INPUT })).status);
    statuses.push((await restInfer(http, { tls, headers: key, input: SECRET_INPUT })).status);
    statuses.push((await grpc.infer({ tls, model: 'secured', input: SECRET_INPUT })).status);
    statuses.push((await restInfer(http, { tls, model: 'secured', input: SECRET_INPUT })).status);
    // A model name with a forged line in it, refused by the rules of nothing (unknown model).
    statuses.push(
      (await grpc.infer({ model: `affine\n${FORGED}`, headers: { 'x-api-key': BAD_KEY } })).status,
    );
    statuses.push((await restInfer(http, { model: `secured\n${FORGED}` })).status);
  } finally {
    grpc.close();
  }
  // The calls did what they should: good ones served, bad ones refused.
  expect(statuses.slice(0, 16)).toEqual([
    200, 200, 401, 401, 401, 401, 401, 401, 401, 401, 200, 200, 401, 401, 401, 401,
  ]);
  expect(statuses.slice(16, 20)).toEqual([200, 200, 1005, 404]);
  return [good, rogue, expired, none, hs, KEY, BAD_KEY];
}

function pemBody(pem: string): string[] {
  return pem
    .split('\n')
    .filter((l) => l && !l.startsWith('-----'))
    .slice(0, 3);
}

describe('secure logging at an enforcing pod', { timeout: 240_000 }, () => {
  for (const format of ['json', 'pretty'] as const) {
    it(`keeps credentials, keys and tensors out of the ${format} log, and lines unforgeable`, async () => {
      const { p, http, grpc } = await startPod(format);
      const secrets = await exercise(http, grpc);
      p.child.kill('SIGTERM');
      expect(await p.exitWithin(30_000)).toBe(0);
      const out = `${p.stdout}\n${p.stderr}`;
      expect(out).toMatch(/access: rules file:[0-9a-f]+ for 2 model/);
      expect(out).toMatch(/access: refused .*token_signature/);
      for (const s of secrets) {
        expect(out.includes(s), 'a credential in the log').toBe(false);
        // Neither a JWT's signature nor its payload alone.
        for (const part of s.split('.').filter((x) => x.length > 20))
          expect(out.includes(part), 'part of a token').toBe(false);
      }
      for (const line of [...pemBody(podMaterial.privateKey), ...pemBody(web.privateKey)])
        expect(out.includes(line), 'private key material').toBe(false);
      for (const v of SECRET_INPUT) expect(out.includes(String(v)), `tensor value ${v}`).toBe(false);
      for (const line of out.split('\n')) {
        expect(line.startsWith(FORGED)).toBe(false);
        expect(line.trimStart().startsWith('{"level":"info","msg":"FORGED')).toBe(false);
      }
    });
  }

  it('quotes a client-supplied model name in a refusal line, so a newline cannot forge a line', async () => {
    // NATS that is not there: the pod waits for rules and refuses (and logs) every model name.
    const [closed] = await freePorts(1);
    const { p, http, grpc } = await startPod('pretty', ['--nats', `nats://127.0.0.1:${closed}`]);
    const caller = new GrpcCaller(grpc);
    try {
      expect((await caller.infer({ model: `affine\n${FORGED}` })).status).toBe(503);
      expect((await restInfer(http, { model: `affine\n${FORGED}` })).status).toBe(503);
      await p.waitForOutput(/access: refused "affine\\n\{\\"level.*rules_pending/, 30_000);
    } finally {
      caller.close();
    }
    p.child.kill('SIGTERM');
    await p.exitWithin(30_000);
    const lines = `${p.stdout}\n${p.stderr}`.split('\n');
    expect(lines.filter((l) => l.includes('FORGED-LINE')).length).toBeGreaterThanOrEqual(2);
    for (const line of lines) expect(line.trimStart().startsWith(FORGED)).toBe(false);
  });
});
