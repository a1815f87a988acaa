// What one KV revision of a policy holds, and the key it lives under. Pure: (de)serialization and
// validation, no NATS. The document is kept as the operator applied it; it is validated again
// whenever it is read, so a stored policy never reaches a proxy without passing today's rules.
import { type Issue, PolicyValidationError } from '../errors/index.js';
import { checkPolicyHeader, type ModelRoute, validatePolicy } from '../policy/index.js';
import { canonicalJson } from '../runtime/canonical-json.js';

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

/** Key-order-independent equality of two documents (an unchanged apply writes nothing). */
export function sameDocument(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}
