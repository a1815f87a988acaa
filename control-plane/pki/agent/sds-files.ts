// The SDS files an Envoy bootstrap loads its xDS client identity from. Envoy honours
// `watched_directory` on a TlsCertificate or CertificateValidationContext only when the secret
// arrives over SDS, so a bootstrap that names the PEM files directly keeps its first certificate
// forever and fails its first reconnect after the 24 h certificate expires. Envoy's own recipe
// for rotating the xDS connection's certificate is SDS from a file (`sds_config` with
// `path_config_source`): the file is a DiscoveryResponse holding one tls.v3.Secret whose data
// sources are the agent's PEM files, and both the file and the secret watch the agent's
// directory, so the `..data` swap reloads them. See docs/SECURITY.md, "Envoy's xDS client
// certificate".
import { resolve } from 'node:path';
import { MATERIAL_FILES } from '../../../kernel/tls/index.js';

export const SDS_FILES = {
  identity: 'sds_identity.json',
  trustBundle: 'sds_trust_bundle.json',
} as const;

/** Secret names the envoy/ bootstraps ask their SDS files for (Envoy checks they match). */
export const SDS_SECRET_NAMES = {
  identity: 'xds-client-identity',
  trustBundle: 'xds-client-trust-bundle',
} as const;

const SECRET_TYPE = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret';

/** The two SDS files' contents (proto3 JSON) for an agent directory. */
export function sdsFileContents(dir: string): Record<keyof typeof SDS_FILES, string> {
  const abs = resolve(dir);
  const file = (name: string) => ({ filename: `${abs}/${name}` });
  const watched = { path: abs };
  const response = (secret: object) =>
    `${JSON.stringify({ resources: [{ '@type': SECRET_TYPE, ...secret }] }, null, 2)}\n`;
  return {
    identity: response({
      name: SDS_SECRET_NAMES.identity,
      tls_certificate: {
        certificate_chain: file(MATERIAL_FILES.certificate),
        private_key: file(MATERIAL_FILES.privateKey),
        watched_directory: watched,
      },
    }),
    trustBundle: response({
      name: SDS_SECRET_NAMES.trustBundle,
      validation_context: {
        trusted_ca: file(MATERIAL_FILES.caCertificate),
        watched_directory: watched,
      },
    }),
  };
}
