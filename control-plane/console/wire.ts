// The console's wire format: what the event stream and the API calls it makes carry, as the
// browser reads them. Written out here (no imports) so the browser bundle and its type check
// never pull in server modules; console-state.ts passes the server's own types through
// `toWire`, so the compiler refuses a server change that breaks this contract.

export interface WirePolicy {
  readonly namespace: string;
  readonly name: string;
  readonly model: string;
  readonly revision: number;
  readonly number?: number;
  readonly versions: ReadonlyArray<{ readonly name: string; readonly weight: number }>;
  readonly appliedBy?: string;
  readonly appliedAt?: string;
  readonly source?: string;
  readonly document: unknown;
  readonly problem?: { readonly code: string; readonly message: string; readonly serving: string };
}

export interface WireEndpoint {
  readonly model: string;
  readonly version: string;
  readonly source: string;
  readonly address: string;
  readonly port: number;
  readonly podId?: string;
  readonly health: string;
  readonly state?: string;
  readonly backend?: string;
  readonly overflow?: boolean;
  readonly region?: string;
  readonly zone?: string;
  readonly utilization?: number;
  readonly queue?: number;
  readonly p99Ms?: number;
  readonly effectiveWeight?: number;
  readonly empty?: true;
}

export interface WireTypeSync {
  readonly sent?: string;
  readonly acked?: string;
  readonly pushes: number;
  readonly nacks: number;
  readonly lastNack?: { readonly version: string; readonly message: string; readonly at: string };
}

export interface WireProxy {
  readonly stream: number;
  readonly nodeId: string;
  readonly cluster: string;
  readonly flavor: string;
  readonly client: { readonly family: string; readonly version: string };
  readonly protocol: string;
  readonly group: string;
  readonly connectedSince: string;
  readonly types: Readonly<Record<string, WireTypeSync>>;
}

export interface WireProblem {
  readonly model: string;
  readonly policy: string;
  readonly code: string;
  readonly message: string;
  readonly serving: string;
}

export interface WireRollout {
  readonly route: string;
  readonly model: string;
  readonly candidate: string;
  readonly stable: string;
  readonly phase: string;
  readonly step: number;
  readonly steps: number;
  readonly candidateWeight: number;
  readonly stableWeight: number;
  readonly mirrorPercent: number;
  readonly stepTimeLeftMs: number;
  readonly pausedReason?: string;
  readonly failures: number;
  readonly failureLimit: number;
  readonly gates: ReadonlyArray<{
    readonly gate: string;
    readonly outcome: string;
    readonly candidate?: number;
    readonly stable?: number;
    readonly threshold?: number;
    readonly detail: string;
  }>;
}

export interface WireRegistryVersion {
  readonly name: string;
  readonly version: string;
  readonly namespace: string;
  readonly stage: string;
  readonly regions: readonly string[];
  readonly sizeBytes: number;
  readonly pushedBy: string;
  readonly pushedAt: string;
}

/** GET /api/v1/placement's versions, as far as the console shows them. */
export interface WirePlacement {
  readonly versions?: ReadonlyArray<{
    readonly model: string;
    readonly version: string;
    readonly desiredReplicas: number;
    readonly assigned: readonly string[];
    readonly ready: readonly string[];
    readonly unplaced?: { readonly reason: string };
  }>;
}

/** One event per topic; each replaces its topic in the browser. */
export interface WireState {
  readonly policies: readonly WirePolicy[];
  readonly endpoints: readonly WireEndpoint[];
  readonly proxies: readonly WireProxy[];
  readonly problems: readonly WireProblem[];
  readonly rollouts: readonly WireRollout[];
  readonly registry: { readonly versions: readonly WireRegistryVersion[]; readonly placement?: unknown };
}

export interface SplitSample {
  /** Unix milliseconds. */
  readonly t: number;
  /** Per model, each version's share of its traffic in percent. */
  readonly models: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

export interface WireSession {
  readonly principal: string;
  readonly bindings: ReadonlyArray<{ readonly role: string; readonly namespaces: readonly string[] }>;
  /** May read the audit trail. */
  readonly audit: boolean;
}

/** GET .../policies/{name}/history. */
export interface WireRevision {
  readonly revision: number;
  readonly number?: number;
  readonly operation: string;
  readonly at: string;
  readonly record?: {
    readonly document: unknown;
    readonly appliedBy: string;
    readonly source: string;
    readonly reason?: string;
  };
}

/** GET /api/v1/audit. */
export interface WireAuditRecord {
  readonly index: number;
  readonly at: string;
  readonly who: string;
  readonly action: string;
  readonly namespace: string;
  readonly name: string;
  readonly phase?: string;
  readonly revision?: number;
  readonly reason?: string;
  readonly error?: string;
}

/** GET .../policies/{name}/sync: has the live revision reached the proxies? */
export interface WirePolicySync {
  readonly revision: number;
  readonly published?: number;
  readonly state: string;
  readonly problem?: { readonly code: string; readonly message: string };
  readonly proxies: ReadonlyArray<{
    readonly nodeId: string;
    readonly state: string;
    readonly resources: number;
    readonly acked: number;
    readonly nack?: { readonly type: string; readonly message: string };
  }>;
}
