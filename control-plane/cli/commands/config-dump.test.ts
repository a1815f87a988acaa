import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { OptionError, PolicyValidationError } from '../../../kernel/errors/index.js';
import { policy } from '../../../test/helpers/policy-yaml.js';
import { run } from './config-dump.js';

const dir = mkdtempSync(join(tmpdir(), 'config-dump-'));
writeFileSync(
  join(dir, 'resnet.yaml'),
  policy(
    'resnet',
    `versions:
  - { name: v1, weight: 90, endpoints: [{ address: 10.0.0.1, port: 8001 }] }
  - { name: v2, weight: 10, endpoints: [{ address: 10.0.0.2, port: 8001 }] }`,
  ),
);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function dump(args: string[]): Promise<Record<string, { name?: string; clusterName?: string }[]>> {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((c) => {
    chunks.push(String(c));
    return true;
  });
  try {
    expect(await run(args)).toBe(0);
  } finally {
    spy.mockRestore();
  }
  return parse(chunks.join(''));
}

describe('switchyard config-dump', () => {
  it('prints what a proxyless gRPC client would receive', async () => {
    const out = await dump(['--node-flavor', 'grpc', '--policy-dir', dir]);
    expect(out.listeners!.map((l) => l.name)).toEqual(['resnet']);
    expect(out.routes!.map((r) => r.name)).toEqual(['resnet']);
    expect(out.clusters!.map((c) => c.name)).toEqual(['resnet/v1', 'resnet/v2']);
    expect(out.endpoints!.map((e) => e.clusterName)).toEqual(['resnet/v1', 'resnet/v2']);
  });

  it('prints the Envoy gateway listener on the chosen port, filtered by type', async () => {
    const out = await dump([
      '--node-flavor',
      'envoy',
      '--policy-dir',
      dir,
      '--type',
      'listeners',
      '--gateway-port',
      '8080',
    ]);
    expect(Object.keys(out)).toEqual(['listeners']);
    expect(out.listeners).toMatchObject([
      { name: 'switchyard-gateway', address: { socketAddress: { address: '0.0.0.0', portValue: 8080 } } },
    ]);
  });

  it('refuses bad options and invalid policies', async () => {
    await expect(run(['--node-flavor', 'istio', '--policy-dir', dir])).rejects.toBeInstanceOf(OptionError);
    await expect(run(['--policy-dir', dir, '--type', 'listener'])).rejects.toThrow(/--type listener/);
    const bad = mkdtempSync(join(tmpdir(), 'config-dump-bad-'));
    writeFileSync(
      join(bad, 'x.yml'),
      'apiVersion: switchyard.dev/v1alpha1\nkind: ModelRoute\nmetadata: { name: x }\nspec: { model: x, versions: [{ name: v1, weight: 0 }] }\n',
    );
    await expect(run(['--policy-dir', bad])).rejects.toBeInstanceOf(PolicyValidationError);
    rmSync(bad, { recursive: true, force: true });
  });
});
