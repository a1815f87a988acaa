// A real ControlPlane on ephemeral loopback ports, reading a temporary policy directory.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlPlane } from '../../control-plane/pipeline/control-plane.js';

export interface ControlPlaneFixture {
  readonly cp: ControlPlane;
  readonly dir: string;
  readonly xdsAddress: string;
  readonly adminUrl: string;
  write(file: string, yaml: string): void;
  close(): Promise<void>;
}

export async function startControlPlane(
  files: Record<string, string> = {},
  extra: Partial<ConstructorParameters<typeof ControlPlane>[0]> = {},
): Promise<ControlPlaneFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-policies-'));
  const write = (file: string, yaml: string) => writeFileSync(join(dir, file), yaml);
  for (const [f, y] of Object.entries(files)) write(f, y);
  const cp = new ControlPlane({
    policyDir: dir,
    host: '127.0.0.1',
    xdsPort: 0,
    adminPort: 0,
    debounceQuietMs: 50,
    debounceMaxMs: 1000,
    ...extra,
  });
  await cp.start();
  return {
    cp,
    dir,
    xdsAddress: `127.0.0.1:${cp.xdsPort}`,
    // With a CA (or admin TLS) the admin API serves HTTPS.
    adminUrl: `${extra.pki || extra.adminTls ? 'https' : 'http'}://127.0.0.1:${cp.adminPort}`,
    write,
    close: async () => {
      await cp.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A ModelRoute with static endpoints: versions as name -> [weight, port]. */
export function modelRouteYaml(
  model: string,
  versions: Record<string, [number, number]>,
  extra = '',
  opts: { namespace?: string; mtls?: 'STRICT' | 'PERMISSIVE' | 'DISABLE' } = {},
): string {
  const vs = Object.entries(versions)
    .map(
      ([name, [weight, port]]) =>
        `    - name: ${name}\n      weight: ${weight}\n      endpoints: [{ address: 127.0.0.1, port: ${port} }]`,
    )
    .join('\n');
  return `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: ${model}, namespace: ${opts.namespace ?? 'default'} }
spec:
  model: ${model}
  mtls: ${opts.mtls ?? 'DISABLE'}
  versions:
${vs}
${extra}`;
}

export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
