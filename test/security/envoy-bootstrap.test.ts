// The shipped Envoy bootstraps can satisfy the control plane's node-id rule, and read their
// xDS client identity through SDS from the files the certs agent writes into the directory the
// SDS identity secrets point at by default.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_IDENTITY_DIR } from '../../control-plane/pipeline/control-plane-pki.js';
import { NODE_INSTANCE_SEPARATOR, nodeIdMatchesIdentity } from '../../control-plane/pki/index.js';
import { parseSpiffeId } from '../../kernel/tls/index.js';

describe.each(['gateway', 'sidecar'])('envoy/%s.yaml', (name) => {
  const text = readFileSync(new URL(`../../envoy/${name}.yaml`, import.meta.url), 'utf8');
  const boot = parse(text) as { node: { id: string } };

  it('announces a node id of the form <SPIFFE ID>#<instance>', () => {
    const identity = boot.node.id.split(NODE_INSTANCE_SEPARATOR)[0]!;
    expect(parseSpiffeId(identity, 'switchyard.local').uri).toBe(identity);
    expect(nodeIdMatchesIdentity(boot.node.id, identity)).toEqual({ ok: true });
  });

  it('reads its agent files, through SDS, where the SDS identity secret points by default', () => {
    expect(text).toContain(`path: ${DEFAULT_IDENTITY_DIR}/sds_identity.json`);
    expect(text).toContain(`path: ${DEFAULT_IDENTITY_DIR}/sds_trust_bundle.json`);
    expect(text).toContain(`watched_directory: { path: ${DEFAULT_IDENTITY_DIR} }`);
    expect(text).not.toContain('filename:');
  });
});
