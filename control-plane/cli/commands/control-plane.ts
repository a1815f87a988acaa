import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAuthConfig } from '../../auth/auth-config.js';
import { OptionError } from '../../errors/index.js';
import { ControlPlane } from '../../pipeline/control-plane.js';
import { type ControlPlanePkiOptions, logAuditSink } from '../../pipeline/control-plane-pki.js';
import {
  BootstrapTokens,
  compileAllowList,
  FileTokenStore,
  KeyEncryptionKey,
  openFileCa,
  parseSpiffeId,
  WorkloadIssuer,
} from '../../pki/index.js';
import { createLogger } from '../../runtime/log.js';
import { GATEWAY_ROUTE_MATCHERS, type GatewayRouteMatcher } from '../../translate/index.js';
import { identityDirectoryProblem } from '../../xds/sds/secrets.js';
import { flagsHelp, type ParsedFlags, parseFlags } from '../flags.js';
import { CONTROL_PLANE_FLAGS } from '../options.js';

function routeMatcherFlag(value: string): GatewayRouteMatcher {
  const mode = GATEWAY_ROUTE_MATCHERS.find((m) => m === value);
  if (!mode)
    throw new OptionError(
      `--gateway-route-matcher: "${value}" is not one of ${GATEWAY_ROUTE_MATCHERS.join(', ')}`,
    );
  return mode;
}

/** --ca-dir: open the CA (keys unsealed with the KEK), tokens from its tokens/ directory. */
async function pkiOptions(
  flags: ParsedFlags<typeof CONTROL_PLANE_FLAGS>,
): Promise<ControlPlanePkiOptions | undefined> {
  const dir = flags['ca-dir'];
  if (flags['gateway-client-id'].length && !flags['gateway-mtls'])
    throw new OptionError('--gateway-client-id needs --gateway-mtls');
  if (!dir) {
    if (flags['xds-insecure-port'] !== undefined || flags['xds-allow'].length)
      throw new OptionError('--xds-insecure-port and --xds-allow need --ca-dir');
    return undefined;
  }
  if (flags['admin-tls-cert'])
    throw new OptionError('--ca-dir serves the admin API under its own certificate; drop --admin-tls-*');
  const problem = identityDirectoryProblem(flags['sds-identity-dir']);
  if (problem) throw new OptionError(`--sds-identity-dir: ${problem}`);
  compileAllowList(flags['xds-allow']); // refuses a malformed entry before anything starts
  const authority = await openFileCa(dir, KeyEncryptionKey.fromEnvironment(process.env, flags['kek-file']));
  const tokens = new BootstrapTokens(new FileTokenStore(join(dir, 'tokens')), authority.trustDomain, () =>
    authority.now(),
  );
  const issuer = new WorkloadIssuer({
    authority,
    tokens,
    audit: logAuditSink(createLogger('pki-audit')),
    ttlMs: flags['workload-ttl'],
  });
  return {
    authority,
    issuer,
    ...(flags['xds-allow'].length ? { xdsAllow: flags['xds-allow'] } : {}),
    ...(flags['xds-insecure-port'] !== undefined ? { xdsInsecurePort: flags['xds-insecure-port'] } : {}),
    identityDir: flags['sds-identity-dir'],
  };
}

export async function run(argv: string[]): Promise<number> {
  const flags = parseFlags(CONTROL_PLANE_FLAGS, argv);
  if (flags.help) {
    process.stdout.write(flagsHelp(CONTROL_PLANE_FLAGS, 'control-plane [options]'));
    return 0;
  }
  if (!flags['admin-tls-cert'] !== !flags['admin-tls-key'])
    throw new OptionError('--admin-tls-cert and --admin-tls-key go together');
  if (flags['admin-tls-ca'] && !flags['admin-tls-cert'])
    throw new OptionError('--admin-tls-ca needs --admin-tls-cert');
  for (const f of [
    'xds-max-streams-per-connection',
    'xds-max-streams-per-client',
    'quota-policies',
    'quota-versions',
  ] as const)
    if (flags[f] < 1) throw new OptionError(`--${f} must be at least 1 (got ${flags[f]})`);
  const gatewayRouteMatcher = routeMatcherFlag(flags['gateway-route-matcher']);
  const pki = await pkiOptions(flags);
  const cp = new ControlPlane({
    ...(pki ? { pki } : {}),
    ...(flags['policy-dir'] ? { policyDir: flags['policy-dir'] } : {}),
    ...(flags.nats
      ? {
          nats: {
            servers: flags.nats,
            name: `switchyard-control-plane-${process.pid}`,
            ...(flags['nats-user'] ? { user: flags['nats-user'], pass: flags['nats-password'] ?? '' } : {}),
          },
          storeReplicas: flags['store-replicas'],
        }
      : {}),
    ...(flags['auth-config'] ? { auth: loadAuthConfig(flags['auth-config']) } : {}),
    ...(flags['admin-tls-cert']
      ? {
          adminTls: {
            cert: readFileSync(flags['admin-tls-cert']),
            key: readFileSync(flags['admin-tls-key']!),
            // Client certificates are asked for but not required: API keys and JWTs work too.
            ...(flags['admin-tls-ca']
              ? { ca: readFileSync(flags['admin-tls-ca']), requestCert: true, rejectUnauthorized: false }
              : {}),
          },
        }
      : {}),
    host: flags.host,
    xdsPort: flags['xds-port'],
    adminPort: flags['admin-port'],
    adminGrpcPort: flags['admin-grpc-port'],
    debounceQuietMs: flags['debounce-quiet'],
    debounceMaxMs: flags['debounce-max'],
    quotas: {
      policies: flags['quota-policies'],
      versions: flags['quota-versions'],
      endpoints: Math.max(0, flags['quota-endpoints']),
    },
    xdsLimits: {
      maxStreamsPerConnection: flags['xds-max-streams-per-connection'],
      maxStreamsPerClient: flags['xds-max-streams-per-client'],
      slowReaderTimeoutMs: flags['xds-slow-reader-timeout'],
    },
    translate: {
      gatewayPort: flags['gateway-port'],
      gatewayRouteMatcher,
      ...(flags['gateway-mtls']
        ? {
            gatewayMtls: true,
            gatewayClientIdentities: flags['gateway-client-id'].map((i) => parseSpiffeId(i).uri),
          }
        : {}),
    },
    discovery: {
      unhealthyAfterMisses: flags['heartbeat-misses'],
      ttlMs: flags['endpoint-ttl'],
      edsQuietMs: flags['eds-debounce-quiet'],
      edsMaxMs: flags['eds-debounce-max'],
      weights: flags.weights as 'adaptive' | 'equal',
      overflow: { enterPercent: flags['overflow-enter'], exitPercent: flags['overflow-exit'] },
    },
  });
  await cp.start();
  // Ready line for scripts and the demo: ports are final (0 picks free ones).
  process.stdout.write(
    `switchyard control-plane ready xds=${cp.xdsPort} admin=${cp.adminPort} admin-grpc=${cp.adminGrpcPort}` +
      `${cp.pki ? ` tls=on xds-insecure=${cp.xdsInsecurePort || 'off'}` : ''}\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  cp.log.info('shutting down');
  await cp.stop();
  return 0;
}
