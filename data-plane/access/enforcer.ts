// The pod's access enforcement (docs/ACCESS.md, "At the pods"): the rules of every model, each
// compiled once into a guard (JWT verifier with its cache, token buckets), and check(), which
// gRPC and REST both call before a model's endpoint runs, so both decide alike. Rules are
// replaced whole when new ones arrive; a model whose rules did not change keeps its guard (its
// buckets and verified tokens). Until the first rules arrive from a control plane the enforcer
// is `pending` and admits nothing (fail closed).
import type { AccessRules, AccessRulesMessage } from '../../kernel/contract/index.js';
import { ApiKeyIndex } from './api-keys.js';
import {
  type CredentialOutcome,
  combineCredentials,
  credentialsOf,
  identityStep,
  tenantOf,
} from './decision.js';
import { JwtVerifier } from './jwt-verifier.js';
import { TenantBuckets, TokenBucket } from './rate-limit.js';
import { AccessRefusedError, type RefusalReason } from './refusal.js';

export type AccessState = 'open' | 'pending' | 'enforcing';

export interface AccessCounters {
  allowed(model: string): void;
  refused(model: string, reason: RefusalReason): void;
}

export interface Admission {
  /** Undefined when the model has no rules (open). */
  readonly tenant?: string;
}

/** Who is calling: the mTLS peer's SPIFFE ID and a header reader (lower-case names). */
export interface Caller {
  readonly peer: string | undefined;
  readonly header: (name: string) => string | undefined;
}

class ModelGuard {
  readonly jwt: JwtVerifier | undefined;
  readonly modelBucket: TokenBucket | undefined;
  readonly tenants: TenantBuckets | undefined;

  constructor(
    readonly rules: AccessRules,
    readonly json: string,
    now: () => number,
  ) {
    this.jwt = rules.jwt ? new JwtVerifier(rules.jwt, now) : undefined;
    const rl = rules.rateLimit;
    this.modelBucket = rl?.model ? new TokenBucket(rl.model, now()) : undefined;
    this.tenants =
      rl?.perTenant || rl?.tenants
        ? new TenantBuckets((t) =>
            rl.tenants && Object.hasOwn(rl.tenants, t) ? rl.tenants[t] : rl.perTenant,
          )
        : undefined;
  }
}

const OPEN: Admission = {};

export class AccessEnforcer {
  private guards = new Map<string, ModelGuard>();
  private keys = new ApiKeyIndex(new Map());
  private stateNow: AccessState;
  /** The version of the rules in force (from the control plane, or `file`). */
  version = '';
  private readonly closers: (() => void)[] = [];

  constructor(
    start: 'open' | 'pending',
    private readonly counters: AccessCounters,
    private readonly now: () => number = Date.now,
  ) {
    this.stateNow = start;
  }

  get state(): AccessState {
    return this.stateNow;
  }

  /** Runs `stop` when the pod closes (a file watcher). */
  onClose(stop: () => void): void {
    this.closers.push(stop);
  }

  close(): void {
    for (const stop of this.closers.splice(0)) stop();
  }

  /** Models that have rules now (the only model labels the counters can get, besides `_unknown`). */
  has(model: string): boolean {
    return this.guards.has(model);
  }

  setRules(msg: AccessRulesMessage): void {
    const next = new Map<string, ModelGuard>();
    for (const [model, rules] of Object.entries(msg.models)) {
      const json = JSON.stringify(rules);
      const old = this.guards.get(model);
      next.set(model, old?.json === json ? old : new ModelGuard(rules, json, this.now));
    }
    this.guards = next;
    this.keys = new ApiKeyIndex(new Map([...next].map(([m, g]) => [m, g.rules])));
    this.version = msg.version;
    this.stateNow = 'enforcing';
  }

  /** Resolves with the admission, or rejects with an AccessRefusedError. */
  async check(model: string, caller: Caller): Promise<Admission> {
    if (this.stateNow === 'pending') throw this.refuse(model, 'rules_pending', 1);
    const g = this.guards.get(model);
    if (!g) return OPEN;
    const idRefusal = identityStep(g.rules.identities, caller.peer);
    if (idRefusal) throw this.refuse(model, idRefusal);
    let credentialTenant: string | undefined;
    if (g.rules.jwt || g.rules.apiKeys) {
      const outcome = await this.credential(g, model, caller);
      if (!outcome.ok) throw this.refuse(model, outcome.reason);
      credentialTenant = outcome.tenant;
    }
    const tenant = tenantOf(credentialTenant, caller.peer);
    const nowMs = this.now();
    const modelWait = g.modelBucket?.wait(nowMs) ?? 0;
    if (modelWait) throw this.refuse(model, 'rate_model', modelWait);
    const tenantBucket = g.tenants?.get(tenant, nowMs);
    const tenantWait = tenantBucket?.wait(nowMs) ?? 0;
    if (tenantWait) throw this.refuse(model, 'rate_tenant', tenantWait);
    g.modelBucket?.take();
    tenantBucket?.take();
    this.counters.allowed(model);
    return { tenant };
  }

  private async credential(g: ModelGuard, model: string, caller: Caller): Promise<CredentialOutcome> {
    const c = credentialsOf(caller.header);
    const outcomes: CredentialOutcome[] = [];
    if (c.apiKey !== undefined) {
      const m = this.keys.lookup(c.apiKey, model);
      outcomes.push(
        m === 'unknown'
          ? { ok: false, reason: 'key_unknown' }
          : m === 'other'
            ? { ok: false, reason: 'key_other_model' }
            : { ok: true, tenant: m.tenant },
      );
    }
    if (!outcomes.some((o) => o.ok) && c.bearer !== undefined && g.jwt) {
      const r = await g.jwt.verify(c.bearer);
      const tenant = r.ok ? g.jwt.tenantOf(r.payload) : undefined;
      outcomes.push(r.ok ? { ok: true, ...(tenant ? { tenant } : {}) } : r);
    }
    return combineCredentials(outcomes, c.malformed === true);
  }

  private refuse(model: string, reason: RefusalReason, retryAfter?: number): AccessRefusedError {
    this.counters.refused(model, reason);
    return new AccessRefusedError(model, reason, retryAfter);
  }
}
