// The SDS Secret resources an Envoy node receives (docs/SECURITY.md, "SDS for Envoy"). Pure: names, PEMs and
// paths in, typed messages out, encoded once each and shared by every stream that may see them.
//
// - The trust bundle is a validation_context with the roots inline: public data, the same for
//   every node, versioned by the bundle's content hash, pushed when the CA changes.
// - The node's own identity is a tls_certificate whose certificate_chain and private_key are
//   *file* DataSources in the directory `switchyard certs agent` keeps on the proxy's host,
//   with watched_directory on that directory: Envoy re-reads both files when the agent swaps
//   its `..data` link, so renewals need no push and the private key never crosses the wire.
import { create, toBinary } from '@bufbuild/protobuf';
import { AnySchema } from '@bufbuild/protobuf/wkt';
import { MATERIAL_FILES, type SpiffeId } from '../../../kernel/tls/index.js';
import {
  type Secret,
  SecretSchema,
} from '../../../protos/gen/envoy/extensions/transport_sockets/tls/v3/secret_pb.js';
import { contentHash, type EncodedResource } from '../cache/snapshot.js';
import { TYPE } from '../resource-types.js';

/** Placeholders an identity directory template may use. */
const PLACEHOLDERS = ['{trustDomain}', '{namespace}', '{serviceAccount}'] as const;

/**
 * The agent directory of `id` on a proxy's host: `template` with {trustDomain}, {namespace}
 * and {serviceAccount} replaced (their characters are limited by the SPIFFE parser, so no
 * "..", "/" or other path tricks can come in through them).
 */
export function identityDirectory(template: string, id: SpiffeId): string {
  return template
    .replaceAll('{trustDomain}', id.trustDomain)
    .replaceAll('{namespace}', id.namespace)
    .replaceAll('{serviceAccount}', id.serviceAccount);
}

/** A template must be an absolute path; unknown {placeholders} are refused, not kept. */
export function identityDirectoryProblem(template: string): string | undefined {
  if (!template.startsWith('/')) return 'must be an absolute path';
  let rest = template;
  for (const p of PLACEHOLDERS) rest = rest.replaceAll(p, '');
  if (/[{}]/.test(rest)) return `may use only ${PLACEHOLDERS.join(', ')}`;
  if (rest.split('/').some((s) => s === '..')) return 'may not contain ".."';
  return undefined;
}

export function trustBundleSecret(name: string, bundlePem: string): Secret {
  return create(SecretSchema, {
    name,
    type: {
      case: 'validationContext',
      value: { trustedCa: { specifier: { case: 'inlineString', value: bundlePem } } },
    },
  });
}

export function identityFileSecret(name: string, dir: string): Secret {
  const file = (f: string) => ({ specifier: { case: 'filename' as const, value: `${dir}/${f}` } });
  return create(SecretSchema, {
    name,
    type: {
      case: 'tlsCertificate',
      value: {
        certificateChain: file(MATERIAL_FILES.certificate),
        privateKey: file(MATERIAL_FILES.privateKey),
        watchedDirectory: { path: dir },
      },
    },
  });
}

/** One Secret encoded as the snapshot cache holds resources (bytes, content version, Any). */
export function encodeSecret(secret: Secret): EncodedResource {
  const bytes = toBinary(SecretSchema, secret);
  return {
    name: secret.name,
    version: contentHash(bytes),
    any: create(AnySchema, { typeUrl: TYPE.SDS, value: bytes }),
    refs: {},
  };
}
