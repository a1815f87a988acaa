// When the control plane publishes: in slices (SnapshotPublisher.publishSliced) for changes that
// arrive while it serves, so one publish of many models never holds the event loop for long, and
// at once where a caller needs the result now (the first snapshot before the ports open, flush).
// One sliced publish at a time: a change that arrives meanwhile is published when the current
// one finishes, with the inputs of then; a publish at once supersedes one under way.

import type { Logger } from '../../kernel/log/index.js';
import type { PolicyConflict } from '../policy/index.js';
import type { ModelRoute } from '../policy/types.js';
import type { EndpointTable } from '../translate/types.js';
import type { Snapshot } from '../xds/cache/snapshot.js';
import type { SnapshotCache } from '../xds/cache/snapshot-cache.js';
import { PUBLISHED_GROUPS, type SnapshotPublisher } from './snapshot-publisher.js';

/** Work per slice of a publish before the event loop gets a turn (docs/ARCHITECTURE.md). */
export const PUBLISH_SLICE_MS = 15;

export interface PublishInputs {
  readonly routes: readonly ModelRoute[];
  readonly endpoints: EndpointTable;
  readonly alsoConflicting: readonly PolicyConflict[];
  /** `namespace/name` -> the store revision of each stored policy these routes came from. */
  readonly revisions?: ReadonlyMap<string, number>;
}

export type Snapshots = ReadonlyMap<string, Snapshot | undefined>;

export class PublishScheduler {
  /** Bumped by every publish started; a sliced publish gives up once it is not the latest. */
  private generation = 0;
  private inFlight: Promise<void> | undefined;
  private again = false;
  /** Snapshots before the first publish that has not finished yet (the caller's baseline). */
  private beforeUnfinished: Snapshots | undefined;

  constructor(
    private readonly publisher: SnapshotPublisher,
    private readonly cache: SnapshotCache,
    private readonly inputs: () => PublishInputs,
    /**
     * After each finished publish, with the snapshots from before it (or before the ones it
     * superseded), the inputs it published and whether every group took them.
     */
    private readonly published: (
      before: Snapshots,
      after: Snapshots,
      inputs: PublishInputs,
      ok: boolean,
    ) => void,
    private readonly log: Logger,
    private readonly sliceMs = PUBLISH_SLICE_MS,
  ) {}

  /** Publish in slices; returns at once. */
  later(): void {
    if (this.inFlight) {
      this.again = true;
      return;
    }
    const generation = ++this.generation;
    const before = this.baseline();
    const inputs = this.inputs();
    const { routes, endpoints, alsoConflicting } = inputs;
    const run = this.publisher
      .publishSliced(routes, endpoints, alsoConflicting, {
        sliceMs: this.sliceMs,
        superseded: () => this.generation !== generation,
      })
      .then((ok) => {
        if (ok !== undefined) this.finish(before, inputs, ok);
      })
      .catch((err) => this.log.error('publish failed', { error: (err as Error).message }))
      .finally(() => {
        if (this.inFlight !== run) return;
        this.inFlight = undefined;
        if (this.again && this.generation === generation) {
          this.again = false;
          this.later();
        }
      });
    this.inFlight = run;
  }

  /** Publish now, superseding a sliced publish under way. */
  now(): void {
    this.generation++;
    this.inFlight = undefined;
    this.again = false;
    const before = this.baseline();
    const inputs = this.inputs();
    const ok = this.publisher.publish(inputs.routes, inputs.endpoints, inputs.alsoConflicting);
    this.finish(before, inputs, ok);
  }

  /** Whether a sliced publish is under way or due. */
  get pending(): boolean {
    return this.inFlight !== undefined || this.again;
  }

  /** A publish under way gives up at its next slice; nothing more is started by it. */
  stop(): void {
    this.generation++;
    this.again = false;
  }

  private baseline(): Snapshots {
    this.beforeUnfinished ??= this.current();
    return this.beforeUnfinished;
  }

  private current(): Snapshots {
    return new Map(PUBLISHED_GROUPS.map((g) => [g, this.cache.get(g)]));
  }

  private finish(before: Snapshots, inputs: PublishInputs, ok: boolean): void {
    this.beforeUnfinished = undefined;
    this.published(before, this.current(), inputs, ok);
  }
}
