// A real nats-server per test: Debian's binary on a free loopback port, JetStream in a temp
// store directory, and users that always live in an explicit account. Debian ships 2.9.10, which
// has CVE-2023-47090 (an implicit $G user can be used without credentials), so the generated
// config never puts a user in the default account and never sets no_auth_user: a connection
// without a known user and password is refused.
//
//   const nats = await NatsServer.start();
//   await nats.addUser({ user: 'pod-a', publish: ['switchyard.pod.a.>'], subscribe: ['_INBOX.>'] });
//   const nc = await connect(nats.connectOptions('pod-a'));
//   await nats.kill(); await nats.restart();   // same port, same JetStream store
//   await nats.cleanup();
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ANNOUNCE_SUBJECT, podSubjects } from '../../kernel/contract/index.js';
import { freePort } from './ports.js';

/** Subjects a user may use; a plain list means "allow these". */
export type SubjectRule =
  | readonly string[]
  | { readonly allow?: readonly string[]; readonly deny?: readonly string[] };

export interface NatsUserSpec {
  readonly user: string;
  /** Generated when omitted. */
  readonly password?: string;
  /** Omitted: everything. */
  readonly publish?: SubjectRule;
  /** Omitted: everything. */
  readonly subscribe?: SubjectRule;
  /** Lets a responder answer requests without a publish grant on _INBOX.> (nats allow_responses). */
  readonly allowResponses?: boolean;
}

export interface NatsServerOptions {
  /** Users besides `admin` (who may do everything). More can be added with addUser(). */
  readonly users?: readonly NatsUserSpec[];
  /** Default true. */
  readonly jetstream?: boolean;
  /** nats-server -D: debug lines in logs(). */
  readonly debug?: boolean;
  /** Default 60 s. */
  readonly startTimeoutMs?: number;
  /** The largest message the server accepts (max_payload); default 8 MiB. */
  readonly maxPayload?: number;
  /** JetStream's file storage limit; default 256 MiB (model artifacts need more). */
  readonly maxFileStore?: number;
  /** Client port; a free one when omitted. */
  readonly port?: number;
  /** HTTP monitoring port (/jsz, /connz): off when omitted. */
  readonly httpPort?: number;
  /** A member of a cluster (nats-cluster.ts): its route port and its peers' route ports. */
  readonly cluster?: ClusterSpec;
}

export interface ClusterSpec {
  readonly name: string;
  readonly port: number;
  readonly routes: readonly number[];
  /** Routes authenticate too: a stray process on loopback cannot join. */
  readonly user: string;
  readonly password: string;
}

export interface NatsConnectOptions {
  servers: string;
  user: string;
  pass: string;
  name?: string;
}

export const NATS_ACCOUNT = 'SWITCHYARD';
const LOG_LINES = 400;

export function natsServerBinary(): string {
  if (process.env.NATS_SERVER_BIN) return process.env.NATS_SERVER_BIN;
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/bin', '/usr/local/bin'])) {
    const p = join(dir, 'nats-server');
    if (dir && existsSync(p)) return p;
  }
  throw new Error('nats-server not found: install the Debian package nats-server (make nats)');
}

function permissionRule(rule: SubjectRule | undefined): unknown {
  if (rule === undefined) return undefined;
  if (Array.isArray(rule)) return { allow: rule };
  return rule;
}

interface StoredUser extends NatsUserSpec {
  readonly password: string;
}

/** The config file's content. nats-server's config syntax accepts JSON, so quoting is JSON's. */
export function renderNatsConfig(opts: {
  port: number;
  storeDir: string;
  jetstream: boolean;
  users: readonly StoredUser[];
  systemPassword: string;
  maxPayload?: number;
  maxFileStore?: number;
  httpPort?: number;
  cluster?: ClusterSpec;
}): string {
  const users = opts.users.map((u) => {
    const permissions: Record<string, unknown> = {};
    const pub = permissionRule(u.publish);
    const sub = permissionRule(u.subscribe);
    if (pub) permissions.publish = pub;
    if (sub) permissions.subscribe = sub;
    if (u.allowResponses) permissions.allow_responses = true;
    return {
      user: u.user,
      password: u.password,
      ...(Object.keys(permissions).length ? { permissions } : {}),
    };
  });
  const account: Record<string, unknown> = { users };
  if (opts.jetstream) account.jetstream = 'enabled';
  const config: Record<string, unknown> = {
    listen: `127.0.0.1:${opts.port}`,
    server_name: `switchyard-test-${opts.port}`,
    accounts: { [NATS_ACCOUNT]: account, SYS: { users: [{ user: 'sys', password: opts.systemPassword }] } },
    system_account: 'SYS',
    max_payload: opts.maxPayload ?? 8 * 1024 * 1024,
  };
  if (opts.jetstream) {
    config.jetstream = {
      store_dir: opts.storeDir,
      max_memory_store: 64 << 20,
      max_file_store: opts.maxFileStore ?? 256 << 20,
    };
  }
  if (opts.httpPort) config.http = `127.0.0.1:${opts.httpPort}`;
  if (opts.cluster) {
    const { name, port, routes, user, password } = opts.cluster;
    config.cluster = {
      name,
      listen: `127.0.0.1:${port}`,
      authorization: { user, password },
      routes: routes.map((p) => `nats-route://${user}:${password}@127.0.0.1:${p}`),
    };
  }
  return `${JSON.stringify(config, null, 2)}\n`;
}

export class NatsServer {
  private child: ChildProcess | undefined;
  private readonly logLines: string[] = [];
  private readonly users = new Map<string, StoredUser>();
  private readonly systemPassword = randomBytes(12).toString('hex');
  private reloads = 0;
  private exitWaiters: Array<() => void> = [];

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly opts: NatsServerOptions,
  ) {}

  static async start(opts: NatsServerOptions = {}): Promise<NatsServer> {
    for (let attempt = 1; ; attempt++) {
      const dir = await mkdtemp(join(tmpdir(), 'sy-nats-'));
      const server = new NatsServer(opts.port ?? (await freePort()), dir, opts);
      server.users.set('admin', { user: 'admin', password: randomBytes(12).toString('hex') });
      for (const u of opts.users ?? []) server.storeUser(u);
      try {
        await server.writeConfig();
        await server.spawn();
        return server;
      } catch (err) {
        await server.cleanup();
        // A picked port can still be taken before the bind (ports.ts): another one, unless the
        // caller chose it.
        const taken = /address already in use/.test((err as Error).message);
        if (opts.port !== undefined || !taken || attempt >= 3) throw err;
      }
    }
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }
  get configPath(): string {
    return join(this.dir, 'nats.conf');
  }
  get storeDir(): string {
    return join(this.dir, 'jetstream');
  }
  /** The HTTP monitoring endpoint, when the options asked for one. */
  get monitorUrl(): string | undefined {
    return this.opts.httpPort ? `http://127.0.0.1:${this.opts.httpPort}` : undefined;
  }
  /** server_name: how JetStream's /jsz names this node (meta and stream leaders). */
  get serverName(): string {
    return `switchyard-test-${this.port}`;
  }
  get pid(): number | undefined {
    return this.child?.pid;
  }
  get running(): boolean {
    return this.child !== undefined;
  }

  /** What nats-server printed lately (the last few hundred lines), for failure messages. */
  logs(): string {
    return this.logLines.join('\n');
  }

  credentials(user = 'admin'): { user: string; pass: string } {
    const u = this.users.get(user);
    if (!u) throw new Error(`nats test server: no user ${JSON.stringify(user)}`);
    return { user: u.user, pass: u.password };
  }

  /** Options for @nats-io/transport-node's connect(). */
  connectOptions(user = 'admin'): NatsConnectOptions {
    return { servers: this.url, ...this.credentials(user) };
  }

  /** Options to connect as the system account (JetStream's meta-group requests need it). */
  systemConnectOptions(): NatsConnectOptions {
    return { servers: this.url, user: 'sys', pass: this.systemPassword };
  }

  /** Adds (or replaces) a user and reloads the running server's config. */
  async addUser(spec: NatsUserSpec): Promise<{ user: string; pass: string }> {
    this.storeUser(spec);
    await this.writeConfig();
    if (this.child) await this.reload();
    return this.credentials(spec.user);
  }

  async removeUser(user: string): Promise<void> {
    this.users.delete(user);
    await this.writeConfig();
    if (this.child) await this.reload();
  }

  /** Graceful stop (SIGTERM), waiting for the process to exit. */
  async stop(): Promise<void> {
    await this.signalAndWait('SIGTERM');
  }

  /** Abrupt stop (SIGKILL): clients see the connection drop without a goodbye. */
  async kill(): Promise<void> {
    await this.signalAndWait('SIGKILL');
  }

  /**
   * Freezes the process (SIGSTOP) for `ms`: connections stay open and nothing is answered, as
   * with a server stalled by its host.
   */
  freeze(ms: number): Promise<void> {
    const child = this.child;
    if (!child) throw new Error('nats test server: not running');
    child.kill('SIGSTOP');
    return new Promise((resolve) =>
      setTimeout(() => {
        child.kill('SIGCONT');
        resolve();
      }, ms),
    );
  }

  /** Starts again on the same port with the same JetStream store (stops a running one first). */
  async restart(): Promise<void> {
    if (this.child) await this.stop();
    await this.spawn();
  }

  /** Stops the server and removes its directory. Safe to call twice. */
  async cleanup(): Promise<void> {
    if (this.child) await this.kill();
    await rm(this.dir, { recursive: true, force: true });
  }

  private storeUser(spec: NatsUserSpec): void {
    if (spec.user === 'sys') throw new Error('nats test server: "sys" is the system account user');
    this.users.set(spec.user, { ...spec, password: spec.password ?? randomBytes(12).toString('hex') });
  }

  private async writeConfig(): Promise<void> {
    const text = renderNatsConfig({
      port: this.port,
      storeDir: this.storeDir,
      jetstream: this.opts.jetstream ?? true,
      users: [...this.users.values()],
      systemPassword: this.systemPassword,
      ...(this.opts.maxPayload ? { maxPayload: this.opts.maxPayload } : {}),
      ...(this.opts.maxFileStore ? { maxFileStore: this.opts.maxFileStore } : {}),
      ...(this.opts.httpPort ? { httpPort: this.opts.httpPort } : {}),
      ...(this.opts.cluster ? { cluster: this.opts.cluster } : {}),
    });
    await writeFile(this.configPath, text, { mode: 0o600 });
  }

  private spawn(): Promise<void> {
    const args = ['-c', this.configPath];
    if (this.opts.debug) args.push('-D');
    const child = spawn(natsServerBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    killOnExit.add(child);
    const timeoutMs = this.opts.startTimeoutMs ?? 60_000;
    return new Promise((resolve, reject) => {
      let ready = false;
      const timer = setTimeout(() => {
        reject(new Error(`nats-server did not start within ${timeoutMs} ms:\n${this.logs()}`));
        child.kill('SIGKILL');
      }, timeoutMs);
      const onLine = (line: string) => {
        this.logLines.push(line);
        if (this.logLines.length > LOG_LINES) this.logLines.shift();
        if (/Reloaded server configuration/.test(line)) this.reloads++;
        if (!ready && /Server is ready/.test(line)) {
          ready = true;
          clearTimeout(timer);
          resolve();
        }
      };
      splitLines(child.stdout!, onLine);
      splitLines(child.stderr!, onLine);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once('exit', (code, signal) => {
        killOnExit.delete(child);
        if (this.child === child) this.child = undefined;
        if (!ready) {
          clearTimeout(timer);
          reject(new Error(`nats-server exited (${code ?? signal}) before it was ready:\n${this.logs()}`));
        }
        for (const w of this.exitWaiters.splice(0)) w();
      });
    });
  }

  private async reload(): Promise<void> {
    const before = this.reloads;
    this.child!.kill('SIGHUP');
    const deadline = Date.now() + 10_000;
    while (this.reloads === before) {
      if (Date.now() > deadline) throw new Error(`nats-server did not reload its config:\n${this.logs()}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private signalAndWait(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child) return Promise.resolve();
    return new Promise((resolve) => {
      this.exitWaiters.push(resolve);
      child.kill(signal);
    });
  }
}

function splitLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop() ?? '';
    for (const p of parts) onLine(p);
  });
}

// A test run that crashes must not leave nats-server processes behind.
const killOnExit = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of killOnExit) c.kill('SIGKILL');
});

/**
 * A managed pod's NATS user: publish only its own subjects (never its assignments), and read one
 * Object Store bucket. Reading an object is a get of its metadata message (MSG.GET, or DIRECT.GET
 * when the bucket allows direct gets), then an ephemeral ordered consumer over its chunks,
 * delivered to an inbox, with flow-control replies; it expires by itself, so no delete grant.
 * Nothing else of JetStream is reachable. docs/SECURITY.md ("Managed pods") lists the same.
 */
export function managedPodUser(podId: string, artifactsBucket: string): NatsUserSpec {
  const s = podSubjects(podId);
  const stream = `OBJ_${artifactsBucket}`;
  return {
    user: podId,
    publish: {
      allow: [
        s.publishPermission,
        `$JS.API.STREAM.MSG.GET.${stream}`,
        `$JS.API.DIRECT.GET.${stream}.>`,
        `$JS.API.CONSUMER.CREATE.${stream}.>`,
        `$JS.FC.${stream}.>`,
      ],
      deny: [...s.controlPlaneOnly],
    },
    subscribe: [ANNOUNCE_SUBJECT, s.assign, s.mirror, s.access, '_INBOX.>'],
  };
}
