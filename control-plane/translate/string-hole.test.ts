// The string-hole template (string-hole.ts) against toBinary: the upstream TLS context of both
// flavors, for SANs whose lengths push every enclosing length prefix across a varint boundary,
// for non-ASCII text and the empty string, and the errors for a template without a clean hole.
import { create, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { ApiVersion, ConfigSourceSchema } from '../../protos/gen/envoy/config/core/v3/config_source_pb.js';
import { SubjectAltNameMatcher_SanType } from '../../protos/gen/envoy/extensions/transport_sockets/tls/v3/common_pb.js';
import { UpstreamTlsContextSchema } from '../../protos/gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';
import { resolveOptions } from './options.js';
import { StringHoleError, stringHole } from './string-hole.js';
import { upstreamTlsBytes } from './tls.js';

// Lengths around 127/128 and 16383/16384 for the string itself and for the levels around it.
const LENGTHS = [1, 7, 60, 70, 100, 110, 120, 126, 127, 128, 129, 200, 16_300, 16_383, 16_384, 20_000];
const SANS = [
  ...LENGTHS.map((n) => `spiffe://switchyard.local/ns/default/sa/${'m'.repeat(n)}`.slice(0, Math.max(n, 1))),
  'spiffe://td/ns/ns/sa/é-模型',
];

describe('stringHole', () => {
  const options = resolveOptions({});
  for (const flavor of ['envoy', 'grpc'] as const)
    for (const alpn of [[], ['h2'], ['http/1.1']])
      it(`fills the ${flavor} upstream TLS context (alpn ${alpn.join(',') || 'none'}) as toBinary encodes it`, () => {
        for (const san of SANS) {
          const want = toBinary(UpstreamTlsContextSchema, expectedContext(flavor, alpn, san, options));
          const got = upstreamTlsBytes(flavor, options, alpn, san);
          expect(Buffer.from(got).toString('hex'), `SAN of ${san.length} characters`).toBe(
            Buffer.from(want).toString('hex'),
          );
        }
      });

  it('encodes an empty string as toBinary does (the field left out)', () => {
    const fill = stringHole(ConfigSourceSchema, (s) =>
      create(ConfigSourceSchema, { authorities: [{ name: s }] }),
    );
    const want = toBinary(ConfigSourceSchema, create(ConfigSourceSchema, { authorities: [{ name: '' }] }));
    expect(Buffer.from(fill('')).equals(Buffer.from(want))).toBe(true);
    const named = toBinary(
      ConfigSourceSchema,
      create(ConfigSourceSchema, { authorities: [{ name: 'x'.repeat(300) }] }),
    );
    expect(Buffer.from(fill('x'.repeat(300))).equals(Buffer.from(named))).toBe(true);
  });

  it('refuses a template that holds the string twice or not at all', () => {
    const twice = () =>
      stringHole(ConfigSourceSchema, (s) =>
        create(ConfigSourceSchema, { authorities: [{ name: s }, { name: s }] }),
      );
    expect(twice).toThrow(StringHoleError);
    const none = () => stringHole(ConfigSourceSchema, () => create(ConfigSourceSchema, {}));
    expect(none).toThrow(StringHoleError);
  });
});

// The context as tls.ts built it with create() before the template (the reference encoding).
function expectedContext(
  flavor: 'envoy' | 'grpc',
  alpn: string[],
  san: string,
  options: ReturnType<typeof resolveOptions>,
) {
  const ads = {
    configSourceSpecifier: { case: 'ads' as const, value: {} },
    resourceApiVersion: ApiVersion.V3,
  };
  if (flavor === 'grpc')
    return create(UpstreamTlsContextSchema, {
      commonTlsContext: {
        tlsCertificateProviderInstance: { instanceName: options.certificateProviderInstance },
        validationContextType: {
          case: 'validationContext',
          value: {
            caCertificateProviderInstance: { instanceName: options.caCertificateProviderInstance },
            matchSubjectAltNames: [{ matchPattern: { case: 'exact', value: san } }],
          },
        },
      },
    });
  return create(UpstreamTlsContextSchema, {
    commonTlsContext: {
      tlsCertificateSdsSecretConfigs: [{ name: options.identitySecretName, sdsConfig: ads }],
      validationContextType: {
        case: 'combinedValidationContext',
        value: {
          defaultValidationContext: {
            matchTypedSubjectAltNames: [
              {
                sanType: SubjectAltNameMatcher_SanType.URI,
                matcher: { matchPattern: { case: 'exact', value: san } },
              },
            ],
          },
          validationContextSdsSecretConfig: { name: options.trustBundleSecretName, sdsConfig: ads },
        },
      },
      alpnProtocols: alpn,
    },
  });
}
