// What one KV revision of a policy holds, and the key it lives under. Pure: (de)serialization and
// validation, no NATS. The document is kept as the operator applied it; it is validated again
// whenever it is read, so a stored policy never reaches a proxy without passing today's rules.
import { type Issue, PolicyValidationError } from '../../kernel/errors/index.js';
import { canonicalJson } from '../../kernel/runtime/canonical-json.js';
import { checkPolicyHeader, type ModelRoute, validatePolicy } from '../policy/index.js';

export type ChangeSource = 'api' | 'gitops' | 'rollback' | 'auto-rollback';

export interface PolicyRecord {
  /** The ModelRoute document as applied (YAML/JSON object). */
  readonly document: Record<string, unknown>;
  readonly appliedBy: string;
  readonly appliedAt: string;
  readonly source: ChangeSource;
  readonly reason?: string;
  /** Roll back automatically if proxies NACK the configuration this revision produces. */
  readonly autoRollback?: boolean;
  /** For rollbacks: the revision whose document was restored. */
  readonly restoredFrom?: number;
  /** For rollbacks: the per-policy number of that revision. */
  readonly restoredFromNumber?: number;
  /**
   * Per-policy revision number: 1 for the first write of a policy, one more for each write after
   * it (rollbacks too, and across a delete). KV revisions are sequence numbers of the whole bucket,
   * so they jump; this is the number operators see and give to `rollback --to`.
   */
  readonly number?: number;
  /** For GitOps: the file it came from. */
  readonly file?: string;
  /** Index of the audit record (the intent) written before this revision. */
  readonly audit?: number;
}

export interface StoredPolicy {
  readonly namespace: string;
  readonly name: string;
  readonly revision: number;
  readonly record: PolicyRecord;
  readonly route: ModelRoute;
}

/** One revision of any policy, as `audit verify` cross-checks them against the trail. */
export interface RevisionRef {
  readonly namespace: string;
  readonly name: string;
  readonly revision: number;
  readonly operation: 'PUT' | 'DEL' | 'PURGE';
  /** The revision before it in the kept history of the key, if any. */
  readonly previous?: number;
  readonly audit?: number;
}

export interface PolicyRevision {
  readonly revision: number;
  /** Per-policy number of a PUT (PolicyRecord.number). */
  readonly number?: number;
  readonly operation: 'PUT' | 'DEL' | 'PURGE';
  readonly at: string;
  readonly record?: PolicyRecord;
}

/** KV key of a policy. Names never contain "/" (see policy/model-route-schema.ts). */
export function policyKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

export function parsePolicyKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

export function encodeRecord(record: PolicyRecord): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(record));
}

export function decodeRecord(bytes: Uint8Array): PolicyRecord {
  return JSON.parse(new TextDecoder().decode(bytes)) as PolicyRecord;
}

/**
 * Validate a document; throws PolicyParseError when it is not a ModelRoute (apiVersion, kind),
 * PolicyValidationError with every issue when it breaks a rule.
 */
export function routeOf(document: unknown, source: string): ModelRoute {
  checkPolicyHeader(document, source);
  const issues: Issue[] = [];
  const route = validatePolicy(document, issues);
  if (!route || issues.length) throw new PolicyValidationError(source, issues);
  return route;
}

/**
 * Per-policy numbers of the PUTs of a history (oldest first): the stored number, or for records
 * written before numbers were stored, one more than the one before.
 */
export function numberHistory(history: readonly PolicyRevision[]): PolicyRevision[] {
  let last = 0;
  return history.map((r) => {
    if (r.operation !== 'PUT' || !r.record) return r;
    last = r.record.number ?? last + 1;
    return { ...r, number: last };
  });
}

/** The number the next write of this policy gets. */
export function nextNumber(history: readonly PolicyRevision[]): number {
  return Math.max(0, ...numberHistory(history).map((r) => r.number ?? 0)) + 1;
}

/**
 * The revision `rollback` restores: the one numbered `number`, or without a number the one
 * before the live revision (the last one when the policy was deleted). Undefined when there is
 * none.
 */
export function rollbackTarget(
  history: readonly PolicyRevision[],
  liveRevision: number | undefined,
  number?: number,
): PolicyRevision | undefined {
  const puts = numberHistory(history).filter((r) => r.operation === 'PUT');
  if (number !== undefined) return puts.find((r) => r.number === number);
  return puts.filter((r) => liveRevision === undefined || r.revision < liveRevision).at(-1);
}

/** Key-order-independent equality of two documents (an unchanged apply writes nothing). */
export function sameDocument(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}
