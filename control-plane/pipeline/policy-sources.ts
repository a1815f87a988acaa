// Where the served policies come from: the policy directory alone, or the NATS JetStream store
// with the directory synced into it (GitOps, one sync at a time). Every change is reported to
// `changed`; the control plane debounces it into a rebuild.

import type { Logger } from '../../kernel/log/index.js';
import type { PolicyService } from '../api/policy-service.js';
import type { Lease } from '../lease/index.js';
import type { ModelRoute } from '../policy/index.js';
import type { StoredPolicy } from '../store/policy-record.js';
import type { PolicyStore } from '../store/policy-store.js';
import { syncDirectoryToStore } from './gitops-sync.js';
import { PolicyDirectory, type PolicyDirectoryState } from './policy-directory.js';
import { leaseFence } from './replica-state.js';

const NO_POLICIES: PolicyDirectoryState = { policies: [], errors: [] };

export interface PolicySourcesDeps {
  /** The directory of ModelRoute files, if any. */
  readonly dir?: string;
  /** The store, once opened; the directory syncs into it through the service. */
  readonly store: () => PolicyStore | undefined;
  readonly service: () => PolicyService;
  readonly changed: () => void;
  /** The number of policy files that do not load, for the gauge. */
  readonly fileErrors: (count: number) => void;
  /** With replicas: the directory syncs only on the leader, every write re-checking its fence. */
  readonly lease?: Lease;
  readonly log: Logger;
}

export class PolicySources {
  private directory?: PolicyDirectory;
  private dirState: PolicyDirectoryState = NO_POLICIES;
  private stored: readonly StoredPolicy[] = [];
  private stopWatch?: () => void;
  private syncing: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: PolicySourcesDeps) {}

  /** Loads the directory (and syncs it into the store), then follows the store. */
  async start(): Promise<void> {
    const store = this.deps.store();
    if (this.deps.dir) await this.openDirectory(this.deps.dir, store);
    if (store) this.stopWatch = await store.watch((all) => this.onStored(all));
  }

  /** The policies serving now: the store's when there is one, else the directory's. */
  routes(): readonly ModelRoute[] {
    return this.deps.store() ? this.stored.map((p) => p.route) : this.dirState.policies.map((p) => p.route);
  }

  storedPolicies(): readonly StoredPolicy[] {
    return this.stored;
  }

  /** The directory's policies and the files that failed to load. */
  directoryState(): PolicyDirectoryState {
    return this.dirState;
  }

  /** A replica that has just become the leader syncs the directory at once. */
  resync(): void {
    if (this.deps.dir && this.deps.store()) this.syncDirectory(this.deps.dir);
  }

  async stop(): Promise<void> {
    await this.directory?.close();
    await this.syncing.catch(() => undefined);
    this.stopWatch?.();
  }

  private async openDirectory(dir: string, store: PolicyStore | undefined): Promise<void> {
    this.directory = new PolicyDirectory(
      dir,
      (state) => {
        this.dirState = state;
        this.deps.fileErrors(state.errors.length);
        if (store) this.syncDirectory(dir);
        else this.deps.changed();
      },
      this.deps.log.child('policy'),
    );
    this.dirState = await this.directory.start();
    this.deps.fileErrors(this.dirState.errors.length);
    if (store) {
      this.stored = await store.list();
      this.syncDirectory(dir);
      await this.syncing;
    }
  }

  /** GitOps: the directory's policies into the store, one sync at a time. */
  private syncDirectory(dir: string): void {
    const lease = this.deps.lease;
    // A singleton job: only the leader syncs, and every write re-checks its fencing token.
    if (lease && !lease.isHeld()) return;
    this.syncing = this.syncing.then(async () => {
      const report = await syncDirectoryToStore(
        this.dirState,
        this.stored,
        this.deps.service(),
        dir,
        this.deps.log.child('gitops'),
        lease && (() => leaseFence(lease)().then(() => undefined)),
      );
      if (report.applied || report.deleted)
        this.deps.log.info('policy directory synced to the store', { ...report });
    });
  }

  private onStored(all: StoredPolicy[]): void {
    this.stored = all;
    this.deps.changed();
  }
}
