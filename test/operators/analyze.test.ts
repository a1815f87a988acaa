// `switchyard analyze` against a live store on a real nats-server: the files are checked as if
// applied over the stored policies, with the live endpoint listing; -o json and --offline.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type ApiFixture, routeDoc, startApi } from '../api/fixture.js';
import { runMain } from '../helpers/cli-in-process.js';

let fx: ApiFixture;
const cli = (...args: string[]) => runMain(...args, '--server', fx.url, '--api-key', fx.keys['viewer-all']);

beforeAll(async () => {
  fx = await startApi();
  const r = await fx.call(
    'POST',
    '/api/v1/policies',
    { document: routeDoc('resnet') },
    {
      'x-api-key': fx.keys['operator-default'],
    },
  );
  expect(r.status).toBe(201);
}, 60_000);
afterAll(() => fx?.close());

describe('switchyard analyze', () => {
  it('finds nothing wrong with the live store alone', async () => {
    const r = await cli('analyze');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('no findings in 1 policy');
  });

  it('flags a file that would claim a live policy’s model, and a match pinned to a missing version', async () => {
    const other = { ...routeDoc('resnet-copy'), spec: { ...routeDoc('resnet').spec } };
    const pinned = routeDoc('bert');
    (pinned.spec as Record<string, unknown>).match = [{ headers: { 'x-cohort': 'beta' }, version: 'v3' }];
    const file = join(fx.dir, 'new.yaml');
    writeFileSync(file, `${stringify(other)}---\n${stringify(pinned)}`);
    const r = await cli('analyze', '-f', file, '-o', 'json');
    expect(r.code).toBe(1);
    const { findings } = JSON.parse(r.stdout);
    const checks = findings.map((f: { check: string; policy: string }) => `${f.check} ${f.policy}`);
    expect(checks).toContain('model-claimed-twice default/resnet-copy');
    // A match to a version the policy lacks is refused by validation: a finding with its path.
    const invalid = findings.find((f: { check: string }) => f.check === 'invalid-document');
    expect(invalid.path).toBe('spec.match[0].version');
    expect(invalid.policy).toContain('default/bert');
  });

  it('prints a table with a fix per finding', async () => {
    const file = join(fx.dir, 'copy.yaml');
    writeFileSync(file, stringify({ ...routeDoc('resnet-copy'), spec: { ...routeDoc('resnet').spec } }));
    const r = await cli('analyze', '-f', file);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^SEVERITY\s+POLICY\s+PATH\s+CHECK\s+MESSAGE/);
    expect(r.stdout).toContain('fixes:');
    expect(r.stdout).toContain('move its versions into default/resnet');
  });

  it('--offline checks the files alone, and wants files', async () => {
    const file = join(fx.dir, 'alone.yaml');
    writeFileSync(file, stringify(routeDoc('resnet-copy')));
    const r = await runMain('analyze', '--offline', '-f', file);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('offline: endpoint checks skipped');
    const none = await runMain('analyze', '--offline');
    expect(none.code).toBe(2);
    expect(none.stderr.trim().split('\n')).toHaveLength(1);
  });
});
