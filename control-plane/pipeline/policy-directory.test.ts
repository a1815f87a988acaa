import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../kernel/log/index.js';
import { PolicyDirectory, type PolicyDirectoryState } from './policy-directory.js';

const policy = (name: string, model: string, w1 = 90) => `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: ${name}, namespace: default }
spec:
  model: ${model}
  versions:
    - { name: v1, weight: ${w1}, endpoints: [{ address: 127.0.0.1, port: 9001 }] }
    - { name: v2, weight: 10, endpoints: [{ address: 127.0.0.1, port: 9002 }] }
`;

let dir: string;
let states: PolicyDirectoryState[];
let pd: PolicyDirectory;
const log = createLogger('test', { level: 'silent' });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pd-'));
  states = [];
});
afterEach(async () => {
  await pd?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function start(): Promise<PolicyDirectoryState> {
  pd = new PolicyDirectory(dir, (s) => states.push(s), log);
  return pd.start();
}

describe('PolicyDirectory', () => {
  it('loads every YAML file, ignoring other and hidden files', async () => {
    writeFileSync(join(dir, 'a.yaml'), policy('a', 'resnet'));
    writeFileSync(join(dir, 'b.yml'), policy('b', 'bert'));
    writeFileSync(join(dir, 'notes.txt'), 'not a policy');
    writeFileSync(join(dir, '.swp.yaml'), 'garbage: [');
    const s = await start();
    expect(s.errors).toEqual([]);
    expect(s.policies.map((p) => `${p.source}:${p.route.spec.model}`)).toEqual([
      'a.yaml:resnet',
      'b.yml:bert',
    ]);
  });

  it('keeps the last good version of a file that turns invalid, and reports file, path and reason', async () => {
    writeFileSync(join(dir, 'a.yaml'), policy('a', 'resnet'));
    await start();
    writeFileSync(join(dir, 'a.yaml'), policy('a', 'resnet', -1));
    await pd.reload();
    const s = states.at(-1)!;
    expect(s.policies).toHaveLength(1);
    expect(s.policies[0]!.route.spec.versions[0]!.weight).toBe(90);
    expect(s.errors[0]).toMatchObject({ file: 'a.yaml', code: 'SY_POLICY_INVALID' });
    expect(s.errors[0]!.issues!.map((i) => i.path)).toContain('spec.versions[0].weight');
  });

  it('reports YAML syntax errors with the file name', async () => {
    writeFileSync(join(dir, 'bad.yaml'), 'spec: [unclosed\n');
    const s = await start();
    expect(s.policies).toEqual([]);
    expect(s.errors[0]).toMatchObject({ file: 'bad.yaml', code: 'SY_POLICY_PARSE' });
    expect(s.errors[0]!.message).toMatch(/^bad\.yaml: /);
  });

  it('drops the policies of a deleted file', async () => {
    writeFileSync(join(dir, 'a.yaml'), policy('a', 'resnet'));
    writeFileSync(join(dir, 'b.yaml'), policy('b', 'bert'));
    await start();
    unlinkSync(join(dir, 'b.yaml'));
    await pd.reload();
    expect(states.at(-1)!.policies.map((p) => p.route.spec.model)).toEqual(['resnet']);
  });

  it('loads both files claiming one model, whichever came first: the owner rule decides downstream', async () => {
    writeFileSync(join(dir, 'z.yaml'), policy('a', 'resnet'));
    await start();
    writeFileSync(join(dir, 'b.yaml'), policy('b', 'resnet'));
    await pd.reload();
    const s = states.at(-1)!;
    expect(s.policies.map((p) => `${p.source}:${p.route.metadata.name}`)).toEqual(['b.yaml:b', 'z.yaml:a']);
    expect(s.errors).toEqual([]);
  });

  it('notices changes by itself through the file watcher', async () => {
    writeFileSync(join(dir, 'a.yaml'), policy('a', 'resnet'));
    await start();
    writeFileSync(join(dir, 'a.yaml'), policy('a', 'resnet', 50));
    const weight = () => states.at(-1)?.policies[0]?.route.spec.versions[0]?.weight;
    const deadline = Date.now() + 5000;
    while (weight() !== 50 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(weight()).toBe(50);
    expect(states.at(-1)?.errors).toEqual([]);
  });

  it('refuses to start on a missing directory', async () => {
    pd = new PolicyDirectory(join(dir, 'nope'), () => {}, log);
    await expect(pd.start()).rejects.toThrow(/policy directory .*nope does not exist/);
  });
});
