// The GitOps source of policies: a directory of ModelRoute YAML files, watched for changes.
// A file that fails to parse or validate is reported (file, path, reason) and its last good
// version keeps serving; a deleted file's policies go away. Nothing here throws on bad input.
// Two files claiming one model both load: the owner rule (policy-set.ts, the policy whose
// namespace/name sorts first) decides downstream, so the outcome does not depend on which file
// was written first, and the loser is reported by name (docs/TRANSLATION.md).
import { createHash } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import {
  asSwitchyardError,
  type Issue,
  PolicyValidationError,
  UnavailableError,
} from '../../kernel/errors/index.js';
import type { Logger } from '../../kernel/log/index.js';
import { type ModelRoute, parsePolicyFile } from '../policy/index.js';

export interface PolicyFileError {
  readonly file: string;
  readonly code: string;
  readonly message: string;
  readonly issues?: readonly Issue[];
  readonly at: string;
}

export interface LoadedPolicy {
  readonly source: string;
  readonly route: ModelRoute;
}

export interface PolicyDirectoryState {
  readonly policies: readonly LoadedPolicy[];
  readonly errors: readonly PolicyFileError[];
}

const POLICY_FILE = /\.ya?ml$/i;

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue; // editors' swap files, .git
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p)));
    else if (POLICY_FILE.test(e.name)) out.push(p);
  }
  return out.sort();
}

export class PolicyDirectory {
  private lastGood = new Map<string, ModelRoute[]>();
  private digests = new Map<string, string>();
  private errors = new Map<string, PolicyFileError>();
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;
  private reloading: Promise<void> = Promise.resolve();

  constructor(
    readonly dir: string,
    private readonly onChange: (state: PolicyDirectoryState) => void,
    private readonly log: Logger,
  ) {}

  async start(): Promise<PolicyDirectoryState> {
    const info = await stat(this.dir).catch(() => undefined);
    if (!info?.isDirectory()) throw new UnavailableError(`policy directory ${this.dir} does not exist`);
    await this.reload();
    this.watcher = watch(this.dir, { recursive: true }, () => this.schedule());
    this.watcher.on('error', (err) =>
      this.log.error('policy directory watch failed', { dir: this.dir, error: err.message }),
    );
    return this.state();
  }

  /** File events come in bursts (write, rename, chmod): one reload per burst. */
  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.reloading = this.reloading
        .then(() => this.reload())
        .catch((err) => this.log.error('policy reload failed', { error: (err as Error).message }));
    }, 50);
  }

  state(): PolicyDirectoryState {
    const policies: LoadedPolicy[] = [];
    for (const [source, routes] of [...this.lastGood].sort(([a], [b]) => a.localeCompare(b)))
      for (const route of routes) policies.push({ source, route });
    return { policies, errors: [...this.errors.values()] };
  }

  /** Re-read every file; only files whose bytes changed are parsed again. */
  async reload(): Promise<void> {
    const files = await listFiles(this.dir);
    const seen = new Set<string>();
    const changed = new Set<string>();
    for (const path of files) {
      const source = relative(this.dir, path);
      seen.add(source);
      const text = await readFile(path, 'utf8').catch(() => undefined);
      if (text === undefined) continue; // vanished between readdir and read
      const digest = createHash('sha256').update(text).digest('hex');
      if (this.digests.get(source) === digest) continue;
      this.digests.set(source, digest);
      changed.add(source);
      try {
        this.lastGood.set(source, parsePolicyFile(text, source));
        this.errors.delete(source);
      } catch (err) {
        this.reject(source, err);
      }
    }
    for (const source of [...this.digests.keys()])
      if (!seen.has(source)) {
        changed.add(source);
        this.digests.delete(source);
        this.lastGood.delete(source);
        this.errors.delete(source);
      }
    if (changed.size === 0) return;
    for (const source of changed)
      if (this.errors.has(source))
        this.log.warn('policy file rejected; its last good version keeps serving', {
          file: source,
          error: this.errors.get(source)!.message,
        });
      else if (this.lastGood.has(source))
        this.log.info('policy file loaded', { file: source, policies: this.lastGood.get(source)!.length });
      else this.log.info('policy file removed', { file: source });
    this.onChange(this.state());
  }

  private reject(source: string, err: unknown): void {
    const e = asSwitchyardError(err);
    this.errors.set(source, {
      file: source,
      code: e.code,
      message: e.message,
      ...(e instanceof PolicyValidationError ? { issues: e.issues } : {}),
      at: new Date().toISOString(),
    });
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.watcher?.close();
    await this.reloading;
  }
}
