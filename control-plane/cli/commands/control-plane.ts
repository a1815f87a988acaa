import { readFileSync } from 'node:fs';
import { loadAuthConfig } from '../../auth/auth-config.js';
import { OptionError } from '../../errors/index.js';
import { ControlPlane } from '../../pipeline/control-plane.js';
import { flagsHelp, parseFlags } from '../flags.js';
import { CONTROL_PLANE_FLAGS } from '../options.js';

export async function run(argv: string[]): Promise<number> {
  const flags = parseFlags(CONTROL_PLANE_FLAGS, argv);
  if (flags.help) {
    process.stdout.write(`usage: switchyard control-plane [options]\n\n${flagsHelp(CONTROL_PLANE_FLAGS)}\n`);
    return 0;
  }
  if (!flags['admin-tls-cert'] !== !flags['admin-tls-key'])
    throw new OptionError('--admin-tls-cert and --admin-tls-key go together');
  if (flags['admin-tls-ca'] && !flags['admin-tls-cert'])
    throw new OptionError('--admin-tls-ca needs --admin-tls-cert');
  const cp = new ControlPlane({
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
    translate: { gatewayPort: flags['gateway-port'] },
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
    `switchyard control-plane ready xds=${cp.xdsPort} admin=${cp.adminPort} admin-grpc=${cp.adminGrpcPort}\n`,
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
