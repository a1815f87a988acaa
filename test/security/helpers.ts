// Shared fixtures of the mTLS delivery suites (docs/SECURITY.md): one CA born in the past (so it can sign an
// already-expired certificate), a foreign CA, workload material for any identity, a control
// plane that runs that CA, and mTLS credentials for raw xDS clients.
import { fromBinary } from '@bufbuild/protobuf';
import type { Any } from '@bufbuild/protobuf/wkt';
import type { ChannelCredentials } from '@grpc/grpc-js';
import type { ControlPlane, ControlPlaneOptions } from '../../control-plane/pipeline/control-plane.js';
import type { ControlPlanePkiOptions } from '../../control-plane/pipeline/control-plane-pki.js';
import { type CertificateAuthority, issueLocally } from '../../control-plane/pki/index.js';
import {
  compileAllowList,
  controlPlaneId,
  grpcChannelCredentials,
  type TlsMaterial,
} from '../../kernel/tls/index.js';
import {
  type Secret,
  SecretSchema,
} from '../../protos/gen/envoy/extensions/transport_sockets/tls/v3/secret_pb.js';
import type { ConnectOptions } from '../helpers/ads-client.js';
import { modelRouteYaml, startControlPlane } from '../helpers/control-plane.js';
import { CHANNEL_OPTIONS, newCa, newIssuer, TD, TestClock } from '../helpers/pki.js';

export { TD };
export const H = 3_600_000;
export const id = (ns: string, sa: string) => `spiffe://${TD}/ns/${ns}/sa/${sa}`;

export interface SecurityCa {
  readonly ca: CertificateAuthority;
  readonly clock: TestClock;
  readonly issuer: ReturnType<typeof newIssuer>['issuer'];
  readonly tokens: ReturnType<typeof newIssuer>['tokens'];
  /** Material of `identity`, valid now (default 24 h). */
  material(identity: string, ttlMs?: number): Promise<TlsMaterial>;
  /** Material of `identity` that expired an hour ago (the CA was born three hours back). */
  expired(identity: string): Promise<TlsMaterial>;
}

export async function securityCa(): Promise<SecurityCa> {
  const clock = new TestClock();
  clock.offsetMs = -3 * H;
  const { ca } = await newCa(TD, clock);
  const expiredCache = new Map<string, Promise<TlsMaterial>>();
  const backThen = async (identity: string) => {
    clock.offsetMs = -3 * H;
    try {
      return (await issueLocally(ca, identity, { ttlMs: H })).material;
    } finally {
      clock.offsetMs = 0;
    }
  };
  clock.offsetMs = 0;
  const { issuer, tokens } = newIssuer(ca);
  return {
    ca,
    clock,
    issuer,
    tokens,
    material: async (identity, ttlMs) => (await issueLocally(ca, identity, ttlMs ? { ttlMs } : {})).material,
    expired: (identity) => {
      let p = expiredCache.get(identity);
      if (!p) {
        p = backThen(identity);
        expiredCache.set(identity, p);
      }
      return p;
    },
  };
}

/** Material from an unrelated CA of the same trust domain name (untrusted chain). */
export async function foreignMaterial(identity: string): Promise<TlsMaterial> {
  const { ca } = await newCa(TD);
  return (await issueLocally(ca, identity)).material;
}

/** Raw ADS client options: our certificate, and the control plane expected by its SPIFFE ID. */
export function xdsConnect(m: TlsMaterial | ChannelCredentials): ConnectOptions {
  const credentials =
    'trustBundle' in m ? grpcChannelCredentials(m, compileAllowList([controlPlaneId(TD)])) : m;
  // A local subchannel pool: each client its own connection, so its own handshake.
  return { credentials, channelOptions: { ...CHANNEL_OPTIONS, 'grpc.use_local_subchannel_pool': 1 } };
}

export function decodeSecret(any: Any): Secret {
  return fromBinary(SecretSchema, any.value);
}

/** A ModelRoute with static endpoints (version -> [weight, port]) in a given mTLS mode. */
export function routeYaml(
  model: string,
  ns: string,
  mtls: 'STRICT' | 'PERMISSIVE' | 'DISABLE',
  versions: Record<string, [number, number]>,
): string {
  return modelRouteYaml(model, versions, '', { namespace: ns, mtls });
}

export interface SecureControlPlane {
  readonly cp: ControlPlane;
  readonly dir: string;
  readonly xdsAddress: string;
  readonly insecureAddress: string;
  readonly adminUrl: string;
  write(file: string, yaml: string): void;
  close(): Promise<void>;
}

/** A real ControlPlane running `sca`'s CA, over a temporary policy directory. */
export async function startSecureControlPlane(
  sca: SecurityCa,
  files: Record<string, string>,
  pki: Partial<ControlPlanePkiOptions> = {},
  extra: Partial<ControlPlaneOptions> = {},
): Promise<SecureControlPlane> {
  const fx = await startControlPlane(files, {
    debounceQuietMs: 20,
    debounceMaxMs: 200,
    pki: { authority: sca.ca, issuer: sca.issuer, xdsInsecurePort: 0, ...pki },
    ...extra,
  });
  return { ...fx, insecureAddress: `127.0.0.1:${fx.cp.xdsInsecurePort}` };
}
