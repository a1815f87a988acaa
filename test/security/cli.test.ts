// The command line end to end: `certs ca init` and `certs token` make a CA directory, a real
// `switchyard control-plane --ca-dir` process serves xDS over mTLS and the CSR endpoint on its
// admin port, `certs agent --once` gets a certificate from it with the token (shared through the
// directory), and that certificate holds an xDS stream. Option mistakes exit with code 2.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyEncryptionKey, openFileCa } from '../../control-plane/pki/index.js';
import { TYPE } from '../../control-plane/xds/resource-types.js';
import { POD_FLAGS } from '../../data-plane/cli/options.js';
import { podOptionsFrom } from '../../data-plane/cli/pod.js';
import { parseFlags } from '../../kernel/cli/flags.js';
import { TlsMaterial } from '../../kernel/tls/index.js';
import { namesOf, SotwClient } from '../helpers/ads-client.js';
import { runMain } from '../helpers/cli-in-process.js';
import { id, routeYaml, TD, xdsConnect } from './helpers.js';

const BIN = fileURLToPath(new URL('../../switchyard.mjs', import.meta.url));
const GW = id('edge', 'gateway');

const cli = runMain;

describe('switchyard control-plane --ca-dir', () => {
  let tmp: string;
  let child: ReturnType<typeof spawn> | undefined;
  let ready: Record<string, string>;
  const caDir = () => join(tmp, 'ca');
  const kek = () => join(tmp, 'kek');

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'sy-sec-cli-'));
    const init = await cli(
      'certs',
      'ca',
      'init',
      '--ca-dir',
      caDir(),
      '--kek-file',
      kek(),
      '--trust-domain',
      TD,
    );
    expect(init.code, init.stderr).toBe(0);
    await writeFile(join(tmp, 'resnet.yaml'), routeYaml('resnet', 'models', 'STRICT', { v1: [100, 9001] }));
    const args = ['control-plane', '--ca-dir', caDir(), '--kek-file', kek(), '--policy-dir', tmp];
    for (const p of ['--xds-port', '--admin-port', '--admin-grpc-port', '--xds-insecure-port'])
      args.push(p, '0');
    child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, SWITCHYARD_LOG: 'warn' } });
    let err = '';
    child.stderr?.on('data', (d) => {
      err += d;
    });
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      const t = setTimeout(() => reject(new Error(`control plane not ready: ${err}`)), 30_000);
      child!.stdout?.on('data', (d) => {
        out += d;
        const m = /switchyard control-plane ready .*\n/.exec(out);
        if (m) {
          clearTimeout(t);
          resolve(m[0]);
        }
      });
      child!.on('exit', (code) => reject(new Error(`control plane exited ${code}: ${err}`)));
    });
    ready = Object.fromEntries([...line.matchAll(/(\S+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
  });
  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(tmp, { recursive: true, force: true });
  });

  it('announces mTLS and both xDS ports', () => {
    expect(ready.tls).toBe('on');
    expect(Number(ready.xds)).toBeGreaterThan(0);
    expect(Number(ready['xds-insecure'])).toBeGreaterThan(0);
  });

  it('issues through its admin port to `certs agent`, and that certificate holds an xDS stream', async () => {
    const t = await cli('certs', 'token', '--ca-dir', caDir(), '--identity', GW);
    expect(t.code).toBe(0);
    const ca = await openFileCa(caDir(), KeyEncryptionKey.fromFile(kek()));
    await writeFile(join(tmp, 'roots.pem'), ca.trustBundle().pem);
    const dir = join(tmp, 'gw');
    const a = await cli(
      'certs',
      'agent',
      '--identity',
      GW,
      '--dir',
      dir,
      '--server',
      `https://127.0.0.1:${ready.admin}`,
      '--ca-file',
      join(tmp, 'roots.pem'),
      '--token',
      t.stdout.trim(),
      '--once',
    );
    expect(a.code).toBe(0);
    expect(a.stderr).toMatch(new RegExp(`certs agent ${GW}: issued [0-9a-f]+`));
    const c = new SotwClient(
      `127.0.0.1:${ready.xds}`,
      { id: `${GW}#cli` },
      xdsConnect(TlsMaterial.fromDir(dir)),
    );
    try {
      c.send({ typeUrl: TYPE.CDS });
      expect(namesOf(await c.next(10_000))).toEqual(['resnet/v1', 'resnet/v1/http']);
    } finally {
      c.close();
    }
  });

  it('refuses option mistakes with exit code 2', async () => {
    expect((await cli('control-plane', '--xds-insecure-port', '0')).stderr).toMatch(/need --ca-dir/);
    const both = await cli(
      'control-plane',
      '--ca-dir',
      caDir(),
      '--admin-tls-cert',
      'x',
      '--admin-tls-key',
      'y',
    );
    expect(both).toMatchObject({ code: 2 });
    expect(
      (await cli('control-plane', '--ca-dir', caDir(), '--sds-identity-dir', 'relative/dir')).stderr,
    ).toMatch(/--sds-identity-dir: must be an absolute path/);
    const pod =
      (...argv: string[]) =>
      () =>
        podOptionsFrom(parseFlags(POD_FLAGS, ['--model-repo', tmp, ...argv]));
    expect(pod('--mtls', 'STRICT')).toThrow(/--mtls STRICT needs --tls-dir/);
    expect(pod('--mtls', 'SOMETIMES', '--tls-dir', tmp)).toThrow(/not one of STRICT, PERMISSIVE, DISABLE/);
    expect(pod('--allow-client', 'spiffe://x/ns/a/sa/b')).toThrow(/--allow-client needs --mtls/);
    expect(pod('--tls-dir', tmp)().tls).toMatchObject({ dir: tmp, mode: 'STRICT' });
    expect(pod('--tls-dir', tmp, '--mtls', 'DISABLE')().tls).toBeUndefined();
  });
});
