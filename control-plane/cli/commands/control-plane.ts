import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { flagsHelp, type ParsedFlags, parseFlags } from '../../../kernel/cli/flags.js';
import { OptionError } from '../../../kernel/errors/index.js';
import {
  createLogger,
  defaultLogLevel,
  type LogSettings,
  parseLogSettings,
} from '../../../kernel/log/index.js';
import { compileAllowList, parseSpiffeId } from '../../../kernel/tls/index.js';
import { loadAuthConfig } from '../../auth/auth-config.js';
import { defaultReplicaName } from '../../lease/index.js';
import { ControlPlane } from '../../pipeline/control-plane.js';
import { type ControlPlanePkiOptions, logAuditSink } from '../../pipeline/control-plane-pki.js';
import { openReplicaState, type ReplicaState } from '../../pipeline/replica-state.js';
import {
  BootstrapTokens,
  FileTokenStore,
  KEK_ENV,
  KeyEncryptionKey,
  openFileCa,
  WorkloadIssuer,
} from '../../pki/index.js';
import { GATEWAY_ROUTE_MATCHERS, type GatewayRouteMatcher } from '../../translate/index.js';
import { identityDirectoryProblem } from '../../xds/sds/secrets.js';
import { CONTROL_PLANE_FLAGS } from '../options.js';

function routeMatcherFlag(value: string): GatewayRouteMatcher {
  const mode = GATEWAY_ROUTE_MATCHERS.find((m) => m === value);
  if (!mode)
    throw new OptionError(
      `--gateway-route-matcher: "${value}" is not one of ${GATEWAY_ROUTE_MATCHERS.join(', ')}`,
    );
  return mode;
}

type Flags = ParsedFlags<typeof CONTROL_PLANE_FLAGS>;

/** jetstream by default when there is a NATS to keep it in (docs/SECURITY.md, "The CA in JetStream"). */
function caStore(flags: Flags): 'jetstream' | 'file' {
  const v = flags['ca-store'] ?? (flags.nats ? 'jetstream' : 'file');
  if (v !== 'jetstream' && v !== 'file')
    throw new OptionError(`--ca-store: ${JSON.stringify(v)} is neither jetstream nor file`);
  if (v === 'jetstream' && !flags.nats) throw new OptionError('--ca-store jetstream needs --nats');
  return v;
}

/** With --nats and a KEK (file or passphrase): the model registry; else its routes say what is missing. */
function registryOptions(flags: Flags) {
  if (!flags.nats || !(flags['kek-file'] || process.env[KEK_ENV])) return {};
  return {
    registry: {
      kek: KeyEncryptionKey.fromEnvironment(process.env, flags['kek-file']),
      maxModelBytes: flags['max-model-bytes'],
    },
  };
}

/** With --nats: the lease, and with the CA in JetStream, the CA and tokens every replica shares. */
async function replicaState(flags: Flags, logSettings: LogSettings): Promise<ReplicaState | undefined> {
  if (!flags.nats) return undefined;
  const jetstreamCa = !!flags['ca-dir'] && caStore(flags) === 'jetstream';
  return openReplicaState(
    natsOptions(flags, flags.nats),
    {
      replica: flags['replica-name'] ?? defaultReplicaName(),
      prefix: flags['store-prefix'],
      leaseTtlMs: flags['lease-ttl'],
      replicas: flags['store-replicas'],
      ...(jetstreamCa
        ? {
            pki: {
              kek: KeyEncryptionKey.fromEnvironment(process.env, flags['kek-file']),
              seedDir: flags['ca-dir']!,
            },
          }
        : {}),
    },
    createLogger('replica', logSettings),
  );
}

function natsOptions(flags: Flags, servers: string | string[]) {
  return {
    servers,
    name: `switchyard-control-plane-${process.pid}`,
    ...(flags['nats-user'] ? { user: flags['nats-user'], pass: flags['nats-password'] ?? '' } : {}),
  };
}

/** Refuses PKI flag combinations before anything connects. */
function checkPkiFlags(flags: Flags): void {
  if (flags['gateway-client-id'].length && !flags['gateway-mtls'])
    throw new OptionError('--gateway-client-id needs --gateway-mtls');
  if (flags['ca-store'] !== undefined) caStore(flags);
  if (!flags['ca-dir']) {
    if (flags['xds-insecure-port'] !== undefined || flags['xds-allow'].length)
      throw new OptionError('--xds-insecure-port and --xds-allow need --ca-dir');
    return;
  }
  if (flags['admin-tls-cert'])
    throw new OptionError('--ca-dir serves the admin API under its own certificate; drop --admin-tls-*');
  const problem = identityDirectoryProblem(flags['sds-identity-dir']);
  if (problem) throw new OptionError(`--sds-identity-dir: ${problem}`);
  compileAllowList(flags['xds-allow']); // refuses a malformed entry before anything starts
}

/**
 * --ca-dir: the CA (keys unsealed with the KEK) and its tokens, from JetStream when the replica
 * state holds them, else from the directory and its tokens/ directory.
 */
async function pkiOptions(
  flags: Flags,
  shared: ReplicaState | undefined,
  logSettings: LogSettings,
): Promise<ControlPlanePkiOptions | undefined> {
  const dir = flags['ca-dir'];
  if (!dir) return undefined;
  const authority =
    shared?.ca?.authority ??
    (await openFileCa(dir, KeyEncryptionKey.fromEnvironment(process.env, flags['kek-file'])));
  const store = shared?.tokens ?? new FileTokenStore(join(dir, 'tokens'));
  const tokens = new BootstrapTokens(store, authority.trustDomain, () => authority.now());
  const issuer = new WorkloadIssuer({
    authority,
    tokens,
    audit: logAuditSink(createLogger('pki-audit', logSettings)),
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
  const logSettings = parseLogSettings(
    { level: flags['log-level'], format: flags['log-format'] },
    { level: defaultLogLevel(), isTTY: process.stderr.isTTY === true },
  );
  checkPkiFlags(flags);
  const replica = await replicaState(flags, logSettings);
  let pki: ControlPlanePkiOptions | undefined;
  try {
    pki = await pkiOptions(flags, replica, logSettings);
  } catch (err) {
    await replica?.nc.close().catch(() => undefined);
    throw err;
  }
  const cp = new ControlPlane({
    log: createLogger('control-plane', logSettings),
    ...(pki ? { pki } : {}),
    ...(replica ? { replica } : {}),
    ...registryOptions(flags),
    ...(flags['policy-dir'] ? { policyDir: flags['policy-dir'] } : {}),
    ...(flags.nats
      ? {
          nats: natsOptions(flags, flags.nats),
          storeReplicas: flags['store-replicas'],
          storePrefix: flags['store-prefix'],
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
      authzFailOpen: flags['authz-fail-open'],
      gatewayTracing: flags['gateway-tracing'],
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
