// `history` and `rollback` in the policy's own revision numbers (1, 2, 3 ... per policy, however
// the store's sequence jumps between policies), `rollback NAME` restoring the previous revision,
// and weights shown as served (defaults filled in).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type ApiFixture, routeDoc, startApi } from '../api/fixture.js';
import { runMain } from '../helpers/cli-in-process.js';

let fx: ApiFixture;
let dir: string;
beforeAll(async () => {
  fx = await startApi();
  dir = mkdtempSync(join(tmpdir(), 'sy-rev-'));
});
afterAll(async () => {
  await fx?.close();
  rmSync(dir, { recursive: true, force: true });
});

const cli = (...args: string[]) => runMain(...args, '--server', fx.url, '--api-key', fx.keys['admin-all']);

function apply(name: string, w1: number) {
  const file = join(dir, `${name}-${w1}.yaml`);
  writeFileSync(file, stringify(routeDoc(name, 'default', w1)));
  return cli('apply', '-f', file);
}

/** [revision, change, weights] of each history row. */
async function history(name: string): Promise<string[][]> {
  const r = await cli('history', name);
  expect(r).toMatchObject({ code: 0, stderr: '' });
  return r.stdout
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(/\s{2,}/).slice(0, 3));
}

describe('policy revisions in the CLI', () => {
  it('shows the weights a single-version policy serves with, not "undefined"', async () => {
    const file = join(dir, 'solo.yaml');
    writeFileSync(
      file,
      stringify({
        apiVersion: 'switchyard.dev/v1alpha1',
        kind: 'ModelRoute',
        metadata: { name: 'solo' },
        spec: {
          model: 'solo',
          mtls: 'DISABLE',
          versions: [{ name: '1', endpoints: [{ address: '127.0.0.1', port: 9001 }] }],
        },
      }),
    );
    expect((await cli('apply', '-f', file)).stdout).toMatch(
      /modelroute default\/solo created \(revision 1\)/,
    );
    expect(await history('solo')).toEqual([['1', 'api', '1=100']]);
  });

  it('numbers revisions per policy and rolls back to the previous one by default', async () => {
    expect((await apply('alpha', 90)).stdout).toMatch(/alpha created \(revision 1\)/);
    await apply('beta', 90); // moves the store's sequence on between alpha's revisions
    expect((await apply('alpha', 50)).stdout).toMatch(/alpha configured \(revision 2\)/);
    await apply('beta', 40);
    expect((await apply('alpha', 10)).stdout).toMatch(/alpha configured \(revision 3\)/);
    expect(await history('alpha')).toEqual([
      ['1', 'api', 'v1=90,v2=10'],
      ['2', 'api', 'v1=50,v2=50'],
      ['3', 'api', 'v1=10,v2=90'],
    ]);

    const back = await cli('rollback', 'alpha', '--reason', 'bad canary');
    expect(back).toMatchObject({ code: 0, stderr: '' });
    expect(back.stdout).toBe('modelroute default/alpha rolled back to revision 2 (now revision 4)\n');
    const to1 = await cli('rollback', 'alpha', '--to', '1');
    expect(to1.stdout).toBe('modelroute default/alpha rolled back to revision 1 (now revision 5)\n');
    expect((await history('alpha')).slice(3)).toEqual([
      ['4', 'rollback to 2', 'v1=50,v2=50'],
      ['5', 'rollback to 1', 'v1=90,v2=10'],
    ]);
    const got = await cli('get', 'alpha');
    expect(got.stdout).toMatch(/^default\s+alpha\s+alpha\s+v1=90,v2=10\s+5\s/m);
    const json = JSON.parse((await cli('history', 'alpha', '-o', 'json')).stdout) as {
      revisions: Array<{ number: number; revision: number }>;
    };
    expect(json.revisions.map((r) => r.number)).toEqual([1, 2, 3, 4, 5]);
    // The store's own revisions are still there, and they are not the policy's numbers.
    expect(json.revisions.map((r) => r.revision)).not.toEqual([1, 2, 3, 4, 5]);
  });

  it('says when there is nothing to roll back to, or no such revision', async () => {
    const none = await cli('rollback', 'solo');
    expect(none.code).toBe(4);
    expect(none.stderr).toMatch(
      /policy default\/solo has no earlier revision to roll back to \[SY_NOT_FOUND\]/,
    );
    const missing = await cli('rollback', 'alpha', '--to', '9');
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/policy default\/alpha has no revision 9/);
  });
});
