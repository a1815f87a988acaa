// The node group of xDS-managed pods (gRFC A36; docs/ACCESS.md, "Pods as xDS-managed servers"):
// every publish translates one server Listener per pod address from the same policies and
// endpoints the client groups get, checks it against Envoy's rules, encodes it and publishes it
// to the group `grpc+pod-server`. It is a group of its own, so neither client flavor changes, and
// a failure here refuses only this group (which keeps serving its previous snapshot).
import { asSwitchyardError, type Issue, ResourceValidationError } from '../../kernel/errors/index.js';
import type { Logger } from '../../kernel/log/index.js';
import { runSteps } from '../../kernel/runtime/steps.js';
import type { ControlPlaneMetrics } from '../metrics/control-plane-metrics.js';
import type { ModelRoute } from '../policy/index.js';
import {
  resolveOptions,
  type TranslateOptions,
  TranslationCache,
  translatePodServers,
} from '../translate/index.js';
import { POD_SERVER_GROUP } from '../translate/node-role.js';
import type { EndpointInfo, EndpointTable } from '../translate/types.js';
import { checkResources } from '../validate/index.js';
import { SnapshotEncoder } from '../xds/cache/snapshot.js';
import type { SnapshotCache } from '../xds/cache/snapshot-cache.js';

/** The group's status, in the shape of the publisher's other groups (snapshot-publisher.ts). */
export interface PodServerStatus {
  readonly group: string;
  version?: string;
  publishedAt?: string;
  resources?: Record<string, number>;
  lastError?: { code: string; message: string; issues?: readonly Issue[]; at: string };
}

/** New Listeners checked and encoded per slice (about 20 ms of work on a loaded 2-core machine). */
const CHUNK = 100;

interface Inputs {
  readonly routes: readonly ModelRoute[];
  readonly endpoints: readonly (readonly [string, readonly EndpointInfo[]])[];
}

/** Whether two endpoint lists name the same pod addresses in the same order. */
function samePods(a: readonly EndpointInfo[], b: readonly EndpointInfo[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++)
    if (a[i]!.address !== b[i]!.address || a[i]!.port !== b[i]!.port) return false;
  return true;
}

/**
 * Whether the listeners would come out as last time: the same route objects, and the same
 * table keys whose lists are the same arrays or name the same pod addresses. A pod's Listener
 * reads nothing else of an endpoint, so a health change or a tuned weight (most publishes at
 * scale) translates nothing here.
 */
function sameInputs(last: Inputs, routes: readonly ModelRoute[], endpoints: EndpointTable): boolean {
  if (last.routes.length !== routes.length || last.endpoints.length !== endpoints.size) return false;
  for (let i = 0; i < routes.length; i++) if (last.routes[i] !== routes[i]) return false;
  let i = 0;
  for (const [key, list] of endpoints) {
    const [k, l] = last.endpoints[i++]!;
    if (k !== key || (l !== list && !samePods(l, list))) return false;
  }
  return true;
}

export class PodServerPublisher {
  private readonly encoder = new SnapshotEncoder();
  private readonly translation = new TranslationCache();
  private readonly checked = new WeakSet<object>();
  /** The inputs of the last published snapshot. */
  private last: Inputs | undefined;
  private readonly st: PodServerStatus = { group: POD_SERVER_GROUP };

  constructor(
    private readonly cache: SnapshotCache,
    private readonly metrics: ControlPlaneMetrics,
    private readonly log: Logger,
    private readonly options: Partial<TranslateOptions> = {},
  ) {}

  publish(routes: readonly ModelRoute[], endpoints: EndpointTable): boolean {
    return runSteps(this.steps(routes, endpoints));
  }

  /**
   * `publish` in slices for the sliced publisher: new Listeners are checked and encoded
   * CHUNK at a time, yielding between chunks, so thousands of changed pods never hold the event
   * loop in one piece (docs/ARCHITECTURE.md, "Publishing in slices").
   */
  *steps(routes: readonly ModelRoute[], endpoints: EndpointTable): Generator<void, boolean> {
    const started = performance.now();
    try {
      // Nothing this group reads changed (the same route objects, the same endpoint arrays):
      // nothing to translate. Producers replace what changes, never mutate it.
      if (this.last && sameInputs(this.last, routes, endpoints)) return true;
      const set = translatePodServers(routes, endpoints, resolveOptions(this.options), this.translation);
      this.translation.sweep();
      // Only Listeners not checked before: an unchanged pod keeps its (immutable) Listener object.
      const fresh = set.listeners.filter((l) => !this.checked.has(l));
      for (let i = 0; i < fresh.length; i += CHUNK) {
        yield;
        const chunk = { ...set, listeners: fresh.slice(i, i + CHUNK) };
        const invalid = checkResources(chunk);
        if (invalid.length) throw new ResourceValidationError(`${POD_SERVER_GROUP} snapshot`, invalid);
        // Encodes the chunk's Listeners into the encoder's cache; the build below reuses them.
        this.encoder.warm(chunk);
      }
      yield;
      const { snapshot, issues } = this.encoder.build(set);
      if (issues.length) throw new ResourceValidationError(`${POD_SERVER_GROUP} snapshot`, issues);
      for (const l of fresh) this.checked.add(l);
      const res = this.cache.set(POD_SERVER_GROUP, snapshot);
      this.metrics.snapshotBuild.observe({ group: POD_SERVER_GROUP }, (performance.now() - started) / 1000);
      this.st.version = res.version;
      this.st.publishedAt = new Date().toISOString();
      this.st.resources = {
        listeners: set.listeners.length,
        routes: 0,
        clusters: 0,
        endpoints: 0,
        secrets: 0,
      };
      delete this.st.lastError;
      this.last = { routes: [...routes], endpoints: [...endpoints] };
      if (res.changed)
        this.log.info('snapshot published', {
          group: POD_SERVER_GROUP,
          version: res.version,
          streams: res.watchers,
        });
      return true;
    } catch (err) {
      this.last = undefined;
      const e = asSwitchyardError(err);
      const issues = (e as { issues?: readonly Issue[] }).issues;
      this.st.lastError = {
        code: e.code,
        message: e.message,
        ...(issues ? { issues } : {}),
        at: new Date().toISOString(),
      };
      this.metrics.snapshotsRejected.inc({ group: POD_SERVER_GROUP, reason: e.code });
      this.log.error('snapshot not published; the previous one keeps serving', {
        group: POD_SERVER_GROUP,
        error: e.message,
      });
      return false;
    }
  }

  status(): PodServerStatus {
    return { ...this.st };
  }
}
