// Processes of the endpoints benchmark: the control plane and the pods as real `switchyard`
// processes, their CPU and memory read from /proc, and the control plane's Prometheus counters.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../../switchyard.mjs', import.meta.url));
/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks. */
const TICKS_PER_S = 100;

export interface Proc {
  readonly child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

// A benchmark that fails half-way must not leave pods behind.
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

function start(args: readonly string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SWITCHYARD_LOG: 'warn', ...env },
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => {
    out = (out + c).slice(-20_000);
  });
  return {
    child,
    output: () => out,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}

async function until<T>(what: string, fn: () => T | undefined, timeoutMs: number, proc?: Proc): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline || proc?.child.exitCode != null)
      throw new Error(`${what}: not ready within ${timeoutMs} ms\n${proc?.output() ?? ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface ControlPlaneProc extends Proc {
  readonly xds: string;
  readonly admin: string;
}

export async function startControlPlane(opts: {
  policyDir: string;
  nats: string;
  user: string;
  pass: string;
  extra?: readonly string[];
}): Promise<ControlPlaneProc> {
  // biome-ignore format: one flag per line reads better
  const p = start([
    'control-plane',
    '--policy-dir', opts.policyDir,
    '--nats', opts.nats,
    '--nats-user', opts.user,
    '--nats-password', opts.pass,
    '--xds-port', '0',
    '--admin-port', '0',
    '--admin-grpc-port', '0',
    ...(opts.extra ?? []),
  ]);
  const m = await until(
    'control plane',
    () => /ready xds=(\d+) admin=(\d+)/.exec(p.output()) ?? undefined,
    60_000,
    p,
  );
  return { ...p, xds: `127.0.0.1:${m[1]}`, admin: `http://127.0.0.1:${m[2]}` };
}

export interface PodProc extends Proc {
  readonly id: string;
  readonly grpcPort: number;
  readonly metricsPort: number;
}

export function startPod(opts: {
  id: string;
  repo: string;
  nats: string;
  user: string;
  pass: string;
  ports: readonly [number, number, number];
  extra?: readonly string[];
}): PodProc {
  const [http, grpc, metrics] = opts.ports;
  // biome-ignore format: one flag per line reads better
  const p = start([
    'pod',
    '--model-repo', opts.repo,
    '--pod-id', opts.id,
    '--nats', opts.nats,
    '--nats-user', opts.user,
    '--nats-password', opts.pass,
    '--http-port', String(http),
    '--grpc-port', String(grpc),
    '--metrics-port', String(metrics),
    '--intra-op-threads', '1',
    ...(opts.extra ?? []),
  ]);
  return { ...p, id: opts.id, grpcPort: grpc, metricsPort: metrics };
}

/** CPU seconds (user + system) and resident memory of a process, from /proc. */
export function procUsage(pid: number): { cpuS: number; rssBytes: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuS = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuS, rssBytes: Number(rss?.[1] ?? 0) * 1024 };
}

/** Sums every sample of a counter or gauge whose labels contain `labels` (Prometheus text). */
export function metric(text: string, name: string, labels = ''): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (!(rest.startsWith(' ') || rest.startsWith('{'))) continue;
    if (labels && !rest.includes(labels)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

export async function scrape(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}
