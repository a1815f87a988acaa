// Control-plane replicas as real `switchyard control-plane` processes on one nats-server, sharing
// a CA seeded from a directory, and the HTTPS calls the suites make to their admin ports.
import { mkdir, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import type { LeaseStatus } from '../../control-plane/lease/index.js';
import { initFileCa, KeyEncryptionKey } from '../../control-plane/pki/index.js';
import type { NatsServer } from '../helpers/nats-server.js';
import { CliProcess } from '../process/processes.js';

export const TD = 'example.org';

/** A file CA in `dir` (KEK in `dir`/kek) and its trust bundle: what the first replica seeds. */
export async function seedCa(dir: string): Promise<{ caDir: string; kekFile: string; bundle: string }> {
  await mkdir(dir, { recursive: true });
  const kekFile = join(dir, 'kek');
  await writeFile(kekFile, KeyEncryptionKey.newKeyFileBytes(), { mode: 0o600 });
  const caDir = join(dir, 'ca');
  const ca = await initFileCa(caDir, KeyEncryptionKey.fromFile(kekFile), TD);
  return { caDir, kekFile, bundle: ca.trustBundle().pem };
}

export interface ReplicaProcess {
  readonly name: string;
  readonly proc: CliProcess;
  readonly adminPort: number;
  readonly xdsPort: number;
}

export async function startReplica(
  nats: NatsServer,
  name: string,
  args: readonly string[],
): Promise<ReplicaProcess> {
  const { servers, user, pass } = nats.connectOptions();
  const proc = new CliProcess(
    [
      'control-plane',
      '--nats',
      servers,
      '--nats-user',
      user,
      '--nats-password',
      pass,
      '--replica-name',
      name,
      '--xds-port',
      '0',
      '--admin-port',
      '0',
      '--admin-grpc-port',
      '0',
      ...args,
    ],
    { SWITCHYARD_LOG: 'info' },
  );
  await proc.waitForOutput(/switchyard control-plane ready .*\n/, 60_000);
  const line = /switchyard control-plane ready .*\n/.exec(proc.stdout)![0];
  const f = Object.fromEntries([...line.matchAll(/(\S+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
  return { name, proc, adminPort: Number(f.admin), xdsPort: Number(f.xds) };
}

/** GET on a replica's HTTPS admin API; the server's certificate is checked against `bundle`. */
export function adminGet<T>(port: number, path: string, bundle: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        ca: bundle,
        agent: false,
        timeout: 5000,
        checkServerIdentity: () => undefined,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) reject(new Error(`GET ${path}: ${res.statusCode} ${text}`));
          else resolve(JSON.parse(text) as T);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: timed out`)));
    req.on('error', reject);
    req.end();
  });
}

export async function leaderOf(r: ReplicaProcess, bundle: string): Promise<LeaseStatus> {
  return (await adminGet<{ leader: LeaseStatus }>(r.adminPort, '/api/v1/snapshots', bundle)).leader;
}
