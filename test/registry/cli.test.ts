// `switchyard models` as a subprocess against a real control plane (NATS JetStream store, auth
// config with per-role API keys): push with progress, list, describe, stage refused with every
// failing rule and then allowed, approval by another admin, RBAC and exit codes, delete.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiFixture, startApi } from '../api/fixture.js';
import { runCli } from '../helpers/cli.js';
import { modelFile } from './helpers.js';

describe('switchyard models', () => {
  let fx: ApiFixture;
  let dir: string;
  const as = (key: keyof ApiFixture['keys']) => ({
    SWITCHYARD_SERVER: fx.url,
    SWITCHYARD_API_KEY: fx.keys[key],
  });
  beforeAll(async () => {
    fx = await startApi();
    dir = mkdtempSync(join(tmpdir(), 'sy-models-'));
    writeFileSync(join(dir, 'mlp.onnx'), modelFile('convnet'));
    writeFileSync(join(dir, 'affine.onnx'), modelFile('affine'));
    writeFileSync(join(dir, 'bad.onnx'), 'not onnx');
    writeFileSync(join(dir, 'config.yaml'), 'max_batch_size: 8\n');
    writeFileSync(
      join(dir, 'policy.yaml'),
      'stages:\n  production: ["metric auc >= 0.90", "approval", "canary completed"]\n',
    );
  }, 120_000);
  afterAll(async () => fx?.close());

  it('pushes with progress lines, then answers a retry with "unchanged"', async () => {
    const args = [
      'models',
      'push',
      'fraud',
      '--version',
      '1',
      '-f',
      join(dir, 'mlp.onnx'),
      '--config',
      join(dir, 'config.yaml'),
    ];
    const r = await runCli(
      [...args, '--label', 'team=risk', '--metric', 'auc=0.87', '--region', 'eu-west', '--reason', 'first'],
      as('operator-default'),
    );
    expect(r.stderr).toContain('uploaded 100%');
    expect(r.stdout).toMatch(/^fraud:1 pushed {2}sha256:[0-9a-f]{64} {2}\d+ bytes$/m);
    expect(r.code).toBe(0);
    const again = await runCli(args, as('operator-default'));
    expect(again.stdout).toContain('unchanged (same digest)');
    expect(again.code).toBe(0);
  }, 60_000);

  it('refuses other content for an existing version (exit 3) and a file ORT cannot load (exit 2)', async () => {
    const conflict = await runCli(
      ['models', 'push', 'fraud', '--version', '1', '-f', join(dir, 'affine.onnx')],
      as('operator-default'),
    );
    expect(conflict.code).toBe(3);
    expect(conflict.stderr).toContain('SY_VERSION_CONFLICT');
    const bad = await runCli(
      ['models', 'push', 'fraud', '--version', '9', '-f', join(dir, 'bad.onnx')],
      as('operator-default'),
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('ONNX Runtime cannot load it');
  }, 60_000);

  it('lets a viewer list and describe but not push', async () => {
    const denied = await runCli(
      ['models', 'push', 'fraud', '--version', '2', '-f', join(dir, 'affine.onnx')],
      as('viewer-default'),
    );
    expect(denied.code).toBe(5);
    expect(denied.stderr).toContain('SY_FORBIDDEN');
    const list = await runCli(['models', 'list'], as('viewer-default'));
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^fraud\s+1\s+default\s+none\s+/m);
    const d = await runCli(['models', 'describe', 'fraud:1'], as('viewer-default'));
    expect(d.stdout).toContain('Metrics:    auc=0.87');
    expect(d.stdout).toContain('Regions:    eu-west');
    expect(d.stdout).toMatch(/model-push\s+apikey:operator-default/);
  }, 60_000);

  it('refuses a stage change listing every failing rule, then allows it once they hold', async () => {
    const set = await runCli(
      ['models', 'policy', 'set', '--policy-file', join(dir, 'policy.yaml')],
      as('admin-default'),
    );
    expect(set.code).toBe(0);
    const refused = await runCli(
      ['models', 'stage', 'fraud', '1', 'production', '--reason', 'go'],
      as('operator-default'),
    );
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('SY_PROMOTION_REFUSED');
    expect(refused.stderr).toContain('auc is 0.87');
    expect(refused.stderr).toContain('no approval for production');
    expect(refused.stderr).toContain('no completed canary');

    // A better version from the same pusher, approved by an admin, with a canary recorded.
    await runCli(
      ['models', 'push', 'fraud', '--version', '2', '-f', join(dir, 'affine.onnx'), '--metric', 'auc=0.95'],
      as('operator-default'),
    );
    const approve = await runCli(
      ['models', 'approve', 'fraud', '2', '--stage', 'production'],
      as('admin-default'),
    );
    expect(approve.code).toBe(0);
    await fx.cp.models!.registry.recordCanaryCompleted(
      { name: 'fraud', version: '2' },
      { id: 'system:rollout' },
    );
    const ok = await runCli(['models', 'stage', 'fraud', '2', 'production'], as('operator-default'));
    expect(ok.stdout).toContain('fraud:2 is now production');
    const d = await runCli(['models', 'describe', 'fraud:1', '-o', 'json'], as('viewer-default'));
    const history = JSON.parse(d.stdout).history as Array<{ action: string; phase: string }>;
    expect(history.map((h) => `${h.action}:${h.phase}`)).toEqual([
      'model-push:committed',
      'model-stage:aborted',
    ]);
  }, 90_000);

  it('deletes as admin, not as operator, and prints help', async () => {
    expect((await runCli(['models', 'delete', 'fraud:1'], as('operator-default'))).code).toBe(5);
    const del = await runCli(['models', 'delete', 'fraud:1', '--reason', 'superseded'], as('admin-default'));
    expect(del.stdout).toContain('fraud:1 deleted');
    expect((await runCli(['models', 'describe', 'fraud:1'], as('admin-default'))).code).toBe(4);
    const help = await runCli(['models', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('push NAME --version V -f model.onnx');
  }, 60_000);
});
