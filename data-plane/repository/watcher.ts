// Keeps the pod's loaded versions in step with the repository directory: a new version
// directory is loaded (and announced by whoever listens to the manager), a removed one is
// drained and unloaded, a changed one is reloaded. Polling is the source of truth; fs.watch
// events only make the next scan come sooner.
import { type FSWatcher, watch } from 'node:fs';
import type { Logger } from '../../kernel/log/index.js';
import { type Pending, planChanges } from './plan.js';
import { type ScannedVersion, scanRepository } from './scan.js';

export interface RepositoryTarget {
  /** key ("model/version") -> fingerprint of every version the pod holds. */
  known(): Map<string, string>;
  load(v: ScannedVersion): Promise<void>;
  unload(model: string, version: string): Promise<void>;
}

export interface WatcherOptions {
  readonly pollMs: number;
  readonly settleMs: number;
  readonly log: Logger;
}

export class RepositoryWatcher {
  private pending = new Map<string, Pending>();
  private timer: NodeJS.Timeout | undefined;
  private fsWatcher: FSWatcher | undefined;
  private scanning: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    readonly repo: string,
    private readonly target: RepositoryTarget,
    private readonly opts: WatcherOptions,
  ) {}

  /** Loads what the repository holds now, then keeps watching. */
  async start(): Promise<void> {
    await this.scan(true);
    try {
      this.fsWatcher = watch(this.repo, { recursive: true }, () => this.soon(50));
      this.fsWatcher.on('error', () => undefined);
    } catch {
      // No recursive watch on this platform: polling alone still works.
    }
    this.schedule(this.opts.pollMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.fsWatcher?.close();
    await this.scanning;
  }

  /** Scans now (tests and the poll loop). Concurrent calls share one scan plus one follow-up. */
  async rescan(): Promise<void> {
    if (this.scanning) {
      this.again = true;
      return this.scanning;
    }
    this.scanning = this.scan(false).finally(() => {
      this.scanning = undefined;
    });
    await this.scanning;
    if (this.again && !this.stopped) {
      this.again = false;
      await this.rescan();
    }
  }

  private soon(ms: number): void {
    if (!this.stopped) this.schedule(ms);
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.rescan()
        .catch((err: unknown) => this.opts.log.error(`repository scan failed: ${(err as Error).message}`))
        .finally(() => {
          if (!this.stopped && !this.timer) this.schedule(this.opts.pollMs);
        });
    }, ms);
    this.timer.unref();
  }

  private async scan(initial: boolean): Promise<void> {
    const scanned = await scanRepository(this.repo);
    const now = Date.now();
    const plan = planChanges({
      known: this.target.known(),
      scanned,
      pending: this.pending,
      now,
      settleMs: this.opts.settleMs,
      initial,
    });
    this.pending = plan.pending;
    if (initial && scanned.size === 0)
      this.opts.log.warn(`model repository ${this.repo} holds no model versions`);
    for (const key of plan.unload) this.opts.log.info(`repository: ${key} was removed`);
    for (const v of plan.load)
      this.opts.log.info(`repository: loading ${v.model}/${v.version} from ${v.dir}`);
    await Promise.all([
      ...plan.unload.map((key) => {
        const [model, version] = key.split('/') as [string, string];
        return this.target.unload(model, version);
      }),
      ...plan.load.map((v) => this.target.load(v)),
    ]);
    if (plan.recheckAt !== undefined && !this.stopped) this.soon(Math.max(10, plan.recheckAt - Date.now()));
  }
}
