// `switchyard delete` of a policy that the policy directory owns (GitOps) is refused with the
// file's name (exit 3), and the policy stays; the directory sync itself still deletes it.
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type ApiFixture, routeDoc, startApi } from '../api/fixture.js';
import { waitFor } from '../dataplane/harness.js';
import { runMain } from '../helpers/cli-in-process.js';

let fx: ApiFixture;
let dir: string;
let file: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sy-gitops-cli-'));
  file = join(dir, 'owned.yaml');
  writeFileSync(file, stringify(routeDoc('owned', 'default', 70)));
  fx = await startApi({ policyDir: dir });
});
afterAll(async () => {
  await fx?.close();
  rmSync(dir, { recursive: true, force: true });
});

const cli = (...args: string[]) => runMain(...args, '--server', fx.url, '--api-key', fx.keys['admin-all']);

describe('delete of a policy owned by the policy directory', () => {
  it('is refused naming the file, and the policy stays', async () => {
    await waitFor('the GitOps sync', async () => (await cli('get', 'owned')).code === 0);
    const r = await cli('delete', 'owned');
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(
      `switchyard delete: policy default/owned is owned by the policy directory (file ${file}): remove it from that file instead [SY_POLICY_CONFLICT]\n`,
    );
    expect((await cli('get', 'owned')).code).toBe(0);
  });

  it('goes when the file goes', async () => {
    unlinkSync(file);
    await waitFor('the GitOps delete', async () => (await cli('get', 'owned')).code === 4);
  });
});
