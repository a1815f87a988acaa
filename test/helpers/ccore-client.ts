// A real gRPC C-core xDS client (Debian's python3-grpcio) as a child process: the second
// proxyless family next to grpc-js-xds. test/helpers/ccore_client.py runs the RPC loops itself;
// this side writes one JSON command per line and reads one JSON answer per line.
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { bootstrapFor } from './xds-client.js';

/** A bootstrap naming certificate providers (file_watcher), for resources that reference them. */
export function bootstrapWithProviders(
  xdsAddress: string,
  nodeId: string,
  providers: Record<string, { cert: string; key: string; ca: string }>,
): string {
  const b = JSON.parse(bootstrapFor(xdsAddress, nodeId)) as Record<string, unknown>;
  b.certificate_providers = Object.fromEntries(
    Object.entries(providers).map(([name, f]) => [
      name,
      {
        plugin_name: 'file_watcher',
        config: {
          certificate_file: f.cert,
          private_key_file: f.key,
          ca_certificate_file: f.ca,
          refresh_interval: '60s',
        },
      },
    ]),
  );
  return JSON.stringify(b);
}

export const PYTHON = process.env.SWITCHYARD_CCORE_PYTHON ?? '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./ccore_client.py', import.meta.url));

const probe = () => spawnSync(PYTHON, ['-c', 'import grpc; print(grpc.__version__)'], { encoding: 'utf8' });
let probed: ReturnType<typeof probe> | undefined;

/** Why C-core cannot run here, or undefined when `import grpc` works. */
export function ccoreUnavailable(): string | undefined {
  probed ??= probe();
  if (probed.status === 0) return undefined;
  return `gRPC C-core client unavailable (${PYTHON} cannot import grpc; run \`make grpcio\`): ${
    probed.error?.message ?? probed.stderr.trim().split('\n').pop()
  }`;
}

/** The grpcio release (e.g. "1.51.1"), or undefined when unavailable. */
export function ccoreVersion(): string | undefined {
  return ccoreUnavailable() ? undefined : probed!.stdout.trim();
}

export interface CcoreTally {
  readonly byVersion: Record<string, number>;
  readonly byPod: Record<string, number>;
  /** Successful calls (a `call` is counted here only: its answer is not decoded). */
  readonly succeeded: number;
  readonly failures: number;
  readonly errors: string[];
}

/** Another unary method than the demo's Predict, with its request already encoded. */
export interface CcoreCall {
  /** Full method name, `/package.Service/Method`. */
  readonly method: string;
  readonly payload: Uint8Array;
}

function callFields(call: CcoreCall | undefined): Record<string, string> {
  return call ? { method: call.method, payload: Buffer.from(call.payload).toString('base64') } : {};
}

export interface CcoreSend {
  readonly n: number;
  readonly concurrency?: number;
  readonly headers?: Record<string, string>;
  /** Seconds per RPC. */
  readonly timeout?: number;
  /** Queue RPCs until the channel has resolved and connected (no failures while it starts). */
  readonly waitForReady?: boolean;
  readonly call?: CcoreCall;
}

export class CcoreClient {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending: Array<{ resolve: (v: unknown) => void; reject: (e: Error) => void }> = [];
  private stderr = '';
  private exited = false;

  /**
   * `bootstrap` replaces the plain one (certificate providers); `xdsCredentials` makes the
   * channels use xDS channel credentials, so clusters with a transport socket get mTLS.
   */
  constructor(
    xdsAddress: string,
    nodeId: string,
    bootstrap = bootstrapFor(xdsAddress, nodeId),
    xdsCredentials = false,
  ) {
    this.child = spawn(PYTHON, [SCRIPT], {
      env: {
        ...process.env,
        GRPC_XDS_BOOTSTRAP_CONFIG: bootstrap,
        PYTHONUNBUFFERED: '1',
        ...(xdsCredentials ? { CCORE_XDS_CREDENTIALS: '1' } : {}),
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      this.pending.shift()?.resolve(JSON.parse(line));
    });
    this.child.on('exit', (code, signal) => {
      this.exited = true;
      for (const p of this.pending.splice(0))
        p.reject(new Error(`C-core client exited (${code ?? signal}): ${this.stderr.trim()}`));
    });
  }

  private command<T>(cmd: Record<string, unknown>): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`C-core client has exited: ${this.stderr.trim()}`));
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ resolve: resolve as (v: unknown) => void, reject });
      this.child.stdin.write(`${JSON.stringify(cmd)}\n`);
    });
  }

  /** n Predict calls (or `opts.call`) to xds:///<model>, counted by the version and pod that answered. */
  send(model: string, opts: CcoreSend): Promise<CcoreTally> {
    return this.command({
      op: 'send',
      target: `xds:///${model}`,
      model,
      n: opts.n,
      concurrency: opts.concurrency ?? 16,
      headers: opts.headers ?? {},
      timeout: opts.timeout ?? 5,
      wait_for_ready: opts.waitForReady ?? false,
      ...callFields(opts.call),
    });
  }

  /** Calls in a loop (in the child) until stop(); for live changes under load. */
  async start(model: string, concurrency = 8, call?: CcoreCall): Promise<void> {
    await this.command({
      op: 'start',
      target: `xds:///${model}`,
      model,
      concurrency,
      timeout: 5,
      ...callFields(call),
    });
  }

  stop(): Promise<CcoreTally> {
    return this.command({ op: 'stop' });
  }

  /** Resolve xds:///<name> (LDS, RDS, CDS, EDS) and wait until the channel is READY. */
  connect(name: string, timeoutSeconds = 5): Promise<{ state: 'READY' | 'TIMEOUT' }> {
    return this.command({ op: 'connect', target: `xds:///${name}`, timeout: timeoutSeconds });
  }

  /** KServe v2 ServerLive on the pods behind xds:///<model>. */
  live(
    model: string,
    opts: { timeout?: number; waitForReady?: boolean } = {},
  ): Promise<{ ok: boolean; code?: string; details?: string }> {
    return this.command({
      op: 'live',
      target: `xds:///${model}`,
      timeout: opts.timeout ?? 5,
      wait_for_ready: opts.waitForReady ?? false,
    });
  }

  /** Close every channel; C-core drops their xDS subscriptions (the stream itself stays). */
  closeChannels(): Promise<{ closed: number }> {
    return this.command({ op: 'close_channels' });
  }

  close(): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      const kill = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      this.child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      this.child.stdin.end(`${JSON.stringify({ op: 'exit' })}\n`);
    });
  }
}
