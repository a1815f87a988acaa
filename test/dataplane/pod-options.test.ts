// `switchyard pod` flags: defaults (docs/DATAPLANE.md), environment variables, and refusals.
import { describe, expect, it } from 'vitest';
import { POD_FLAGS } from '../../data-plane/cli/options.js';
import { podOptionsFrom } from '../../data-plane/cli/pod.js';
import { grpcTransportOf } from '../../data-plane/server/grpc-front.js';
import { parseFlags } from '../../kernel/cli/flags.js';
import { OptionError } from '../../kernel/errors/index.js';

const parse = (argv: string[], env: NodeJS.ProcessEnv = {}) =>
  podOptionsFrom(parseFlags(POD_FLAGS, argv, env), env);

describe('pod options', () => {
  it('defaults to ports 8000/8001/8002, standalone, CPU, batching', () => {
    const o = parse(['--model-repo', '/models']);
    expect([o.httpPort, o.grpcPort, o.metricsPort]).toEqual([8000, 8001, 8002]);
    expect(o.nats).toBeUndefined();
    expect(o.modelDefaults.executionProvider).toBe('cpu');
    expect(o.modelDefaults.maxBatchSize).toBe(64);
    expect(o.disableBatching).toBe(false);
    expect(o.heartbeatIntervalMs).toBe(1000);
    expect(o.drain).toEqual({ graceMs: 5000, timeoutMs: 30_000 });
    expect(o.injectErrorRate).toBe(0);
    expect(o.inlineBudgetMs).toBe(1);
    expect(parse(['--model-repo', '/m', '--inline-budget-ms', '0.25']).inlineBudgetMs).toBe(0.25);
    expect(parse(['--model-repo', '/m', '--inline-budget-ms', '0']).inlineBudgetMs).toBe(0);
  });

  it('takes every knob from flags or the environment', () => {
    const o = parse(
      [
        '--model-repo=/m',
        '--nats=nats://127.0.0.1:4333',
        '--nats-user=pod',
        '--pod-id=p-1',
        '--region=ae-north',
        '--zone=ae-north-1a',
        '--label=tier=gold',
        '--label=team=ml',
        '--heartbeat-interval=250ms',
        '--execution-provider=cuda',
        '--inject-delay-ms=40',
        '--inject-error-rate=0.2',
        '--report-gpu',
        '--disable-batching',
        '--drain-grace=2s',
      ],
      { SWITCHYARD_NATS_PASSWORD: 'secret', SWITCHYARD_GRPC_PORT: '9001' },
    );
    expect(o.nats).toEqual({ url: ['nats://127.0.0.1:4333'], user: 'pod', pass: 'secret' });
    expect(o.grpcPort).toBe(9001);
    expect(o.podId).toBe('p-1');
    expect([o.region, o.zone]).toEqual(['ae-north', 'ae-north-1a']);
    expect(o.labels).toEqual({ tier: 'gold', team: 'ml' });
    expect(o.heartbeatIntervalMs).toBe(250);
    expect(o.modelDefaults.executionProvider).toBe('cuda');
    expect(o.injectDelayMs).toBe(40);
    expect(o.injectErrorRate).toBe(0.2);
    expect(o.reportGpu).toBe(true);
    expect(o.disableBatching).toBe(true);
    expect(o.drain.graceMs).toBe(2000);
  });

  it('serves gRPC on h2 by default, grpc-js when asked or when the port is xDS-managed', () => {
    const xds = ['--xds-server', '127.0.0.1:18000', '--advertise-address', '127.0.0.1'];
    expect(grpcTransportOf(parse(['--model-repo', '/m']))).toBe('h2');
    expect(grpcTransportOf(parse(['--model-repo', '/m', ...xds]))).toBe('grpc-js');
    expect(grpcTransportOf(parse(['--model-repo', '/m', '--grpc-transport', 'grpc-js']))).toBe('grpc-js');
    expect(grpcTransportOf(parse(['--model-repo', '/m'], { SWITCHYARD_GRPC_TRANSPORT: 'grpc-js' }))).toBe(
      'grpc-js',
    );
    expect(() => parse(['--model-repo', '/m', '--grpc-transport', 'grpc'])).toThrow(OptionError);
    expect(() => grpcTransportOf(parse(['--model-repo', '/m', '--grpc-transport', 'h2', ...xds]))).toThrow(
      /xDS-managed gRPC port/,
    );
  });

  it('pings gRPC connections every 2h (20s to answer) unless told otherwise, and refuses what a timer cannot do', () => {
    expect(parse(['--model-repo', '/m']).grpcKeepalive).toEqual({ timeMs: 7_200_000, timeoutMs: 20_000 });
    expect(
      parse(['--model-repo', '/m', '--grpc-keepalive-time', '30s'], {
        SWITCHYARD_GRPC_KEEPALIVE_TIMEOUT: '500ms',
      }).grpcKeepalive,
    ).toEqual({ timeMs: 30_000, timeoutMs: 500 });
    expect(parse(['--model-repo', '/m', '--grpc-keepalive-time', '0s']).grpcKeepalive?.timeMs).toBe(0);
    for (const t of ['5ms', '700h'])
      expect(() => parse(['--model-repo', '/m', '--grpc-keepalive-time', t]), t).toThrow(
        /^--grpc-keepalive-time: .* is neither 0 \(off\) nor in 10ms\.\.596h/,
      );
    for (const t of ['0s', '1ms', '700h'])
      expect(() => parse(['--model-repo', '/m', '--grpc-keepalive-timeout', t]), t).toThrow(
        /^--grpc-keepalive-timeout: .* is not in 10ms\.\.596h/,
      );
    expect(() => parse(['--model-repo', '/m', '--grpc-keepalive-time', 'often'])).toThrow(
      /--grpc-keepalive-time.*is not a duration/,
    );
  });

  it('refuses what it cannot use', () => {
    expect(() => parse([])).toThrow(/--model-repo is required/);
    expect(() => parse(['--model-repo', '/m', '--execution-provider', 'tpu'])).toThrow(OptionError);
    expect(() => parse(['--model-repo', '/m', '--label', 'novalue'])).toThrow(/key=value/);
    expect(() => parse(['--model-repo', '/m', '--nats-password', 'x'])).toThrow(/needs --nats-user/);
    expect(() => parse(['--model-repo', '/m', '--http-port', '70000'])).toThrow(OptionError);
    for (const rate of ['1.5', '-0.1', 'NaN', '20%', ''])
      expect(() => parse(['--model-repo', '/m', `--inject-error-rate=${rate}`]), rate).toThrow(
        /^--inject-error-rate: .* is not a number in 0\.\.1/,
      );
    for (const ms of ['-1', 'fast', ''])
      expect(() => parse(['--model-repo', '/m', `--inline-budget-ms=${ms}`]), ms).toThrow(
        /^--inline-budget-ms: .* is not a number of milliseconds/,
      );
    // A pod id becomes a NATS subject token: a dot or a wildcard would change the subject.
    for (const id of ['a.b', 'a*', 'a>', 'a b'])
      expect(() => parse(['--model-repo', '/m', '--pod-id', id]), id).toThrow(/^--pod-id: .* must match/);
  });
});

describe('pod options: --managed', () => {
  const KEK = { SWITCHYARD_PKI_KEK: 'a passphrase of at least sixteen characters' };

  it('needs --nats, makes --model-repo optional, and names the artifact bucket from --store-prefix', () => {
    const o = parse(
      ['--managed', '--nats=nats://127.0.0.1:4222', '--memory-limit=2Gi', '--cache-dir=/c'],
      KEK,
    );
    expect(o.modelRepo).toBeUndefined();
    expect(o.managed).toMatchObject({
      cacheDir: '/c',
      memoryLimitBytes: 2 * 2 ** 30,
      bucket: 'switchyard_artifacts',
    });
    expect(o.managed!.kek.kind).toBe('passphrase');
    const p = parse(['--managed', '--nats=nats://h:4222', '--store-prefix=prod', '--model-repo=/m'], KEK);
    expect(p.modelRepo).toBe('/m');
    expect(p.managed!.bucket).toBe('prod_artifacts');
    expect(p.managed!.memoryLimitBytes).toBeUndefined();
  });

  it('refuses what a managed pod cannot use, naming the option', () => {
    expect(() => parse(['--managed'], KEK)).toThrow(/--managed needs --nats/);
    expect(() => parse([], KEK)).toThrow(/--model-repo is required \(or --managed\)/);
    expect(() => parse(['--model-repo=/m', '--memory-limit=1Gi'], KEK)).toThrow(
      /--memory-limit needs --managed/,
    );
    expect(() => parse(['--managed', '--nats=nats://h:4222', '--memory-limit=lots'], KEK)).toThrow(
      OptionError,
    );
    expect(() => parse(['--managed', '--nats=nats://h:4222', '--store-prefix=a.b'], KEK)).toThrow(
      /--store-prefix/,
    );
    // No KEK anywhere: the pod could never open an artifact, so it does not start.
    expect(() => parse(['--managed', '--nats=nats://h:4222'], {})).toThrow(/SWITCHYARD_PKI_KEK/);
  });
});
