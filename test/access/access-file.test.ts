// --access-file at a pod without a control plane: the file's rules are enforced from the start,
// and an edited file decides the next calls without a restart; an edit that does not check keeps
// the rules in force (docs/ACCESS.md, "At the pods").
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../data-plane/pod.js';
import { memoryLogger } from '../../kernel/log/index.js';
import { modelRepoCopy, startTestPod } from '../dataplane/harness.js';
import { waitFor } from '../helpers/control-plane.js';
import { GrpcCaller, restInfer } from './helpers.js';

const sha = (k: string) => createHash('sha256').update(k).digest('hex');
const route = (access: string) => `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: affine }
spec:
  model: affine
  versions: [{ name: "1" }]
${access}`;
const keyed = (k: string) => route(`  access:\n    apiKeys: [{ sha256: ${sha(k)}, tenant: acme }]\n`);

let dir: string;
let file: string;
let repo: Awaited<ReturnType<typeof modelRepoCopy>>;
let pod: Pod;
let grpc: GrpcCaller;
const log = memoryLogger('pod', 'info');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sy-access-file-'));
  file = join(dir, 'routes.yaml');
  await writeFile(file, keyed('sy_one'));
  repo = await modelRepoCopy(['affine']);
  pod = await startTestPod(repo.dir, { access: { from: 'file', path: file, pollMs: 100 }, log });
  grpc = new GrpcCaller(pod.ports.grpc);
});

afterAll(async () => {
  grpc?.close();
  await pod?.close();
  await repo?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Both transports' statuses, as one number when they agree (rules may change between them). */
const status = async (k?: string) => {
  const o = k ? { headers: { 'x-api-key': k } } : {};
  const [g, r] = [await grpc.infer(o), await restInfer(pod.ports.http, o)];
  return g.status === r.status ? r.status : -1;
};

describe('--access-file', () => {
  it('enforces the file from the start', async () => {
    expect(await status('sy_one')).toBe(200);
    expect(await status('sy_two')).toBe(401);
    expect(await status()).toBe(401);
  });

  it('follows an edited file without a restart, and keeps the rules when an edit does not check', async () => {
    await writeFile(file, keyed('sy_two'));
    await waitFor(async () => (await status('sy_two')) === 200, 15_000, 'the edited rules');
    expect(await status('sy_one')).toBe(401);
    await writeFile(file, route('  access:\n    rateLimit: { model: { rps: -1 } }\n'));
    await waitFor(
      () => log.lines.some((l) => l.includes('keeping the rules in force')),
      15_000,
      'the refusal',
    );
    expect(await status('sy_two')).toBe(200);
    await writeFile(file, route(''));
    await waitFor(async () => (await status()) === 200, 15_000, 'the model to be open');
  });
});
