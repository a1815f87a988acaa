// `switchyard pod`: runs a data-plane pod until SIGTERM (or SIGINT), then drains: exit 0 when
// every admitted request was answered, 1 when the drain timeout cut some off. It always exits
// after the drain.

import { isIP } from 'node:net';
import { flagsHelp, type ParsedFlags, parseFlags } from '../../kernel/cli/flags.js';
import { POD_ID_PATTERN } from '../../kernel/contract/index.js';
import { OptionError } from '../../kernel/errors/index.js';
import { createLogger, parseLogSettings } from '../../kernel/log/index.js';
import { compileAllowList } from '../../kernel/tls/index.js';
import { Pod, type PodOptions } from '../pod.js';
import {
  BUILTIN_MODEL_DEFAULTS,
  type ExecutionProviderName,
  type GraphOptimization,
} from '../repository/config.js';
import { GRPC_TRANSPORTS } from '../server/grpc-front.js';
import { checkKeepalive } from '../server/keepalive-options.js';
import { managedOptionsFrom } from './managed-options.js';
import { POD_FLAGS } from './options.js';
import { tracingOptionsFrom } from './tracing-options.js';

const EXIT_AFTER_DRAIN_MS = 1000;
/** How long a pod signalled during its start may still take to start (then it drains). */
const START_GRACE_MS = 30_000;

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value))
    throw new OptionError(`--${name}: ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
  return value as T;
}

function atLeast(name: string, value: number, min: number): number {
  if (value < min) throw new OptionError(`--${name}: must be at least ${min}`);
  return value;
}

/** A share written as a number in 0..1 (commander has no float type). */
function fraction(name: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1)
    throw new OptionError(`--${name}: ${JSON.stringify(value)} is not a number in 0..1`);
  return n;
}

/** Milliseconds that may have a fraction (commander has no float type). */
function milliseconds(name: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new OptionError(`--${name}: ${JSON.stringify(value)} is not a number of milliseconds (0 or more)`);
  return n;
}

/** --tls-dir / --mtls / --allow-client: undefined means plaintext (DISABLE). */
function tlsOptions(flags: ParsedFlags<typeof POD_FLAGS>): PodOptions['tls'] {
  const mode = oneOf('mtls', flags.mtls ?? (flags['tls-dir'] ? 'STRICT' : 'DISABLE'), [
    'STRICT',
    'PERMISSIVE',
    'DISABLE',
  ]);
  if (mode === 'DISABLE') {
    if (flags['allow-client'].length)
      throw new OptionError('--allow-client needs --mtls STRICT or PERMISSIVE');
    return undefined;
  }
  if (!flags['tls-dir']) throw new OptionError(`--mtls ${mode} needs --tls-dir`);
  compileAllowList(flags['allow-client']); // a malformed entry fails here, not at the first call
  return {
    dir: flags['tls-dir'],
    mode,
    ...(flags['allow-client'].length ? { allow: flags['allow-client'] } : {}),
    reloadMs: atLeast('tls-reload', flags['tls-reload'], 10),
  };
}

export function podOptionsFrom(
  flags: ParsedFlags<typeof POD_FLAGS>,
  env: NodeJS.ProcessEnv = process.env,
): PodOptions {
  // A pod logs at info unless told otherwise, under the test runner too (its suites read the lines).
  const logSettings = parseLogSettings(
    { level: flags['log-level'], format: flags['log-format'] },
    { level: 'info', isTTY: process.stderr.isTTY === true },
  );
  const tls = tlsOptions(flags);
  const labels: Record<string, string> = {};
  for (const l of flags.label) {
    const at = l.indexOf('=');
    if (at <= 0) throw new OptionError(`--label: ${JSON.stringify(l)} is not key=value`);
    labels[l.slice(0, at)] = l.slice(at + 1);
  }
  if (flags['pod-id'] && !POD_ID_PATTERN.test(flags['pod-id']))
    throw new OptionError(`--pod-id: ${JSON.stringify(flags['pod-id'])} must match ${POD_ID_PATTERN}`);
  if (flags['nats-password'] && !flags['nats-user'])
    throw new OptionError('--nats-password needs --nats-user');
  const managed = managedOptionsFrom(flags, env);
  const tracing = tracingOptionsFrom(flags);
  if (flags['access-file'] && flags.nats)
    throw new OptionError(
      '--access-file is for a pod without --nats: with NATS the control plane sends the access rules',
    );
  if (!flags['model-repo'] && !managed) throw new OptionError('--model-repo is required (or --managed)');
  return {
    log: createLogger('pod', logSettings),
    ...(flags['model-repo'] ? { modelRepo: flags['model-repo'] } : {}),
    ...(managed ? { managed } : {}),
    ...(flags['allow-empty-repo'] ? { allowEmptyRepo: true } : {}),
    host: flags.host,
    ...(flags['advertise-address'] ? { advertiseAddress: flags['advertise-address'] } : {}),
    httpPort: flags['http-port'],
    grpcPort: flags['grpc-port'],
    ...(flags['grpc-transport']
      ? { grpcTransport: oneOf('grpc-transport', flags['grpc-transport'], GRPC_TRANSPORTS) }
      : {}),
    grpcKeepalive: checkKeepalive({
      timeMs: flags['grpc-keepalive-time'],
      timeoutMs: flags['grpc-keepalive-timeout'],
    }),
    metricsPort: flags['metrics-port'],
    ...(flags.nats
      ? {
          nats: {
            url: flags.nats,
            ...(flags['nats-user'] ? { user: flags['nats-user'] } : {}),
            ...(flags['nats-password'] ? { pass: flags['nats-password'] } : {}),
          },
        }
      : {}),
    ...(flags['pod-id'] ? { podId: flags['pod-id'] } : {}),
    region: flags.region,
    zone: flags.zone,
    labels,
    heartbeatIntervalMs: atLeast('heartbeat-interval', flags['heartbeat-interval'], 10),
    statsWindowMs: atLeast('stats-window', flags['stats-window'], 1000),
    modelDefaults: {
      ...BUILTIN_MODEL_DEFAULTS,
      maxBatchSize: atLeast('max-batch-size', flags['max-batch-size'], 0),
      maxQueueDelayMs: flags['max-queue-delay'],
      queueLimit: atLeast('queue-limit', flags['queue-limit'], 1),
      instanceCount: atLeast('instances', flags.instances, 1),
      executionProvider: oneOf<ExecutionProviderName>('execution-provider', flags['execution-provider'], [
        'cpu',
        'cuda',
      ]),
      session: {
        ...BUILTIN_MODEL_DEFAULTS.session,
        intraOpThreads: atLeast('intra-op-threads', flags['intra-op-threads'], 0),
        interOpThreads: atLeast('inter-op-threads', flags['inter-op-threads'], 0),
        graphOptimization: oneOf<GraphOptimization>('graph-optimization', flags['graph-optimization'], [
          'disabled',
          'basic',
          'extended',
          'all',
        ]),
      },
    },
    disableBatching: flags['disable-batching'],
    inlineBudgetMs: milliseconds('inline-budget-ms', flags['inline-budget-ms']),
    injectDelayMs: atLeast('inject-delay-ms', flags['inject-delay-ms'], 0),
    injectErrorRate: fraction('inject-error-rate', flags['inject-error-rate']),
    reportGpu: flags['report-gpu'],
    maxBodyBytes: atLeast('max-body-bytes', flags['max-body-bytes'], 1024),
    maxJsonBodyBytes: atLeast('max-json-body-bytes', flags['max-json-body-bytes'], 1024),
    drain: { graceMs: flags['drain-grace'], timeoutMs: flags['drain-timeout'] },
    repoPollMs: atLeast('repo-poll', flags['repo-poll'], 10),
    repoSettleMs: flags['repo-settle'],
    ...(tls ? { tls } : {}),
    ...(tracing ? { tracing } : {}),
    // With a control plane, its rules or nothing (fail closed); standalone, the file or open.
    ...(flags.nats
      ? { access: { from: 'control-plane' as const } }
      : flags['access-file']
        ? { access: { from: 'file' as const, path: flags['access-file'] } }
        : {}),
    ...xdsOptions(flags),
  };
}

/** --xds-server: the gRPC port's inbound rules come from the control plane (server/xds-server.ts). */
function xdsOptions(flags: ParsedFlags<typeof POD_FLAGS>): Pick<PodOptions, 'xds'> {
  const server = flags['xds-server'];
  if (!server) return {};
  if (!/^[^\s:/]+:\d{1,5}$|^\[[0-9A-Fa-f:.]+\]:\d{1,5}$/.test(server))
    throw new OptionError(`--xds-server: ${JSON.stringify(server)} is not HOST:PORT`);
  // The pod's Listener is named after the address it advertises, which grpc-js-xds wants as an IP.
  const advertised = flags['advertise-address'] ?? flags.host;
  if (!isIP(advertised))
    throw new OptionError(
      `--xds-server needs an IP to advertise (--advertise-address, else --host): got ${JSON.stringify(advertised)}`,
    );
  return {
    xds: {
      server,
      ...(flags['tls-dir'] ? { certsDir: flags['tls-dir'] } : {}),
      drainGraceMs: flags['drain-timeout'],
    },
  };
}

export async function run(argv: string[]): Promise<number> {
  const flags = parseFlags(POD_FLAGS, argv);
  if (flags.help) {
    process.stdout.write(flagsHelp(POD_FLAGS, 'pod --model-repo DIR | --managed --nats URL [options]'));
    return 0;
  }
  const options = podOptionsFrom(flags);
  // Signals are taken from before the start: the pod says it serves before start() returns (its
  // NATS registration follows), and a SIGTERM in between must drain it, not kill it (exit 143).
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  let started = false;
  let startGuard: NodeJS.Timeout | undefined;
  void signalled.then(() => {
    if (started) return;
    // A start that never ends (a NATS server that never answers) must not keep a stopped pod.
    startGuard = setTimeout(() => {
      process.stderr.write(
        `switchyard pod: stopped during its start (not done after ${START_GRACE_MS} ms)\n`,
      );
      process.exit(1);
    }, START_GRACE_MS);
    startGuard.unref();
  });
  const pod = await Pod.start(options);
  started = true;
  clearTimeout(startGuard);
  const signal = await signalled;
  const report = await pod.drain(signal);
  const code = report.unfinished === 0 ? 0 : 1;
  // The drain is over and everything was closed: nothing left may hold the process (a handle a
  // library forgot would make a supervisor wait for ever), so exit soon whatever remains.
  setTimeout(() => process.exit(code), EXIT_AFTER_DRAIN_MS).unref();
  return code;
}
