// Which SPIFFE IDs spec.access.identities allows: the same rule as the policy's identityAllowed
// (control-plane/policy/access.ts), restated here because the pod imports only kernel/. An
// entry ending in `/*` is a prefix at a path boundary; anything else matches exactly.
export function identityAllowedBy(id: string, rules: readonly string[]): boolean {
  return rules.some((r) => (r.endsWith('/*') ? id.startsWith(r.slice(0, -1)) : id === r));
}
