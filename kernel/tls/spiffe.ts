// SPIFFE IDs as Switchyard uses them: spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>.
// Pure: no I/O, no clock. Parsing is strict on purpose; an identity that two parsers could read
// differently (case, percent-encoding, dot segments, a port) is a way around SAN matching.
import { SpiffeIdError } from './errors.js';

export interface SpiffeId {
  readonly trustDomain: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  /** The canonical URI; equal to the input of a successful parse. */
  readonly uri: string;
}

const SCHEME = 'spiffe://';
// SPIFFE spec: trust domain chars are lowercase letters, digits, '.', '-', '_'.
const TRUST_DOMAIN = /^[a-z0-9._-]+$/;
// Kubernetes naming: a namespace is a DNS-1123 label, a service account a DNS-1123 subdomain.
const NAMESPACE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const SERVICE_ACCOUNT = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;
const MAX_URI = 2048;

function trustDomainProblem(td: string): string | undefined {
  if (td.length === 0) return 'trust domain is empty';
  if (td.length > 255) return 'trust domain is longer than 255 characters';
  if (!TRUST_DOMAIN.test(td)) return 'trust domain may hold only lowercase letters, digits, ".", "-" and "_"';
  if (td.startsWith('.') || td.endsWith('.') || td.includes('..')) return 'trust domain has an empty label';
  return undefined;
}

export function isValidTrustDomain(td: string): boolean {
  return trustDomainProblem(td) === undefined;
}

/** Returns the trust domain unchanged, or throws SpiffeIdError saying what is wrong with it. */
export function validateTrustDomain(td: string): string {
  const problem = trustDomainProblem(td);
  if (problem) throw new SpiffeIdError(td, problem);
  return td;
}

/**
 * Parses `spiffe://td/ns/<ns>/sa/<sa>`. With `expectTrustDomain`, an ID from another trust
 * domain is refused too (federation is not supported).
 */
export function parseSpiffeId(input: string, expectTrustDomain?: string): SpiffeId {
  const fail = (reason: string): never => {
    throw new SpiffeIdError(input, reason);
  };
  if (typeof input !== 'string') fail('not a string');
  if (input.length > MAX_URI) fail(`longer than ${MAX_URI} characters`);
  if (!input.startsWith(SCHEME)) fail('scheme must be "spiffe://" (lowercase)');
  if (/[?#%]/.test(input)) fail('query, fragment and percent-encoding are not allowed');
  const rest = input.slice(SCHEME.length);
  const slash = rest.indexOf('/');
  const td = slash < 0 ? rest : rest.slice(0, slash);
  if (/[@:]/.test(td)) fail('trust domain may not carry user info or a port');
  const tdProblem = trustDomainProblem(td);
  if (tdProblem) fail(tdProblem);
  if (expectTrustDomain !== undefined && td !== expectTrustDomain)
    fail(`trust domain ${JSON.stringify(td)} is not ${JSON.stringify(expectTrustDomain)}`);
  if (slash < 0) fail('a workload ID needs the path /ns/<namespace>/sa/<service-account>');
  const segments = rest.slice(slash + 1).split('/');
  if (segments.some((s) => s === '')) fail('path has an empty segment or a trailing slash');
  if (segments.some((s) => s === '.' || s === '..')) fail('path has a dot segment');
  if (segments.length !== 4 || segments[0] !== 'ns' || segments[2] !== 'sa')
    fail('path must be exactly /ns/<namespace>/sa/<service-account>');
  const [, namespace, , serviceAccount] = segments as [string, string, string, string];
  if (!NAMESPACE.test(namespace)) fail(`namespace ${JSON.stringify(namespace)} is not a DNS-1123 label`);
  if (!SERVICE_ACCOUNT.test(serviceAccount))
    fail(`service account ${JSON.stringify(serviceAccount)} is not a DNS-1123 subdomain`);
  return { trustDomain: td, namespace, serviceAccount, uri: input };
}

/** Like parseSpiffeId, but answers undefined instead of throwing. */
export function tryParseSpiffeId(input: string, expectTrustDomain?: string): SpiffeId | undefined {
  try {
    return parseSpiffeId(input, expectTrustDomain);
  } catch (err) {
    if (err instanceof SpiffeIdError) return undefined;
    throw err;
  }
}

/** Builds the canonical URI from parts, validating each (the round trip parse(format(x)) holds). */
export function formatSpiffeId(parts: Omit<SpiffeId, 'uri'>): string {
  const uri = `${SCHEME}${parts.trustDomain}/ns/${parts.namespace}/sa/${parts.serviceAccount}`;
  return parseSpiffeId(uri).uri;
}

/** The identity the control plane itself serves under, per trust domain. */
export function controlPlaneId(trustDomain: string): string {
  return formatSpiffeId({ trustDomain, namespace: 'switchyard-system', serviceAccount: 'control-plane' });
}
