// `switchyard pod --managed` as a child process for platform tests: its own NATS user with the
// managed grants, the installation's KEK in a file, a cache directory, loopback ports.
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { managedPodUser, type NatsServer } from '../helpers/nats-server.js';
import { freePorts } from '../helpers/ports.js';

const BIN = fileURLToPath(new URL('../../switchyard.mjs', import.meta.url));

export interface ManagedPodProcess {
  readonly podId: string;
  readonly grpcPort: number;
  /** The pod's shared HTTP port (managed versions also get HTTP ports of their own). */
  readonly httpPort: number;
  readonly proc: ChildProcess;
  readonly exited: Promise<number | null>;
  stderr(): string;
}

export async function startManagedPod(
  nats: NatsServer,
  o: {
    podId: string;
    zone: string;
    dir: string;
    kek: Uint8Array;
    storePrefix?: string;
    /** --drain-grace (default 300ms: tests that do not drain under traffic stop sooner). */
    drainGrace?: string;
  },
): Promise<ManagedPodProcess> {
  const prefix = o.storePrefix ?? 'switchyard';
  const creds = await nats.addUser(managedPodUser(o.podId, `${prefix}_artifacts`));
  const kekFile = join(o.dir, `${o.podId}.kek`);
  await writeFile(kekFile, o.kek, { mode: 0o600 });
  const [http, grpc, metrics] = await freePorts(3);
  // biome-ignore format: one flag per line reads better
  const proc = spawn(process.execPath, [
    BIN, 'pod',
    '--managed',
    '--cache-dir', join(o.dir, `${o.podId}-cache`),
    '--kek-file', kekFile,
    '--store-prefix', prefix,
    '--memory-limit', '2Gi',
    '--pod-id', o.podId,
    '--zone', o.zone,
    '--nats', nats.url,
    '--nats-user', creds.user,
    '--nats-password', creds.pass,
    '--http-port', String(http),
    '--grpc-port', String(grpc),
    '--metrics-port', String(metrics),
    '--heartbeat-interval', '200ms',
    '--drain-grace', o.drainGrace ?? '300ms',
    '--intra-op-threads', '1',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (c: string) => {
    stderr += c;
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { podId: o.podId, grpcPort: grpc!, httpPort: http!, proc, exited, stderr: () => stderr };
}
