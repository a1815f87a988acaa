// The real processes under a supervisor: a process that cannot serve (a port taken, no model
// repository, a flat repository) exits non-zero with one clear line and no stack or library
// noise, and so does a control plane whose NATS refuses or never answers; a pod whose NATS is unreachable says so, serves, and still exits after SIGTERM; a
// draining pod answers keep-alive clients with Connection: close and closes idle sockets.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { modelRepoCopy } from '../dataplane/harness.js';
import { NatsServer } from '../helpers/nats-server.js';
import { freePort, freePorts } from '../helpers/ports.js';
import { CliProcess, holdPort, plainLines } from './processes.js';

// Generous: each process compiles the sources on start, on a machine shared with other suites.
const START_MS = 90_000;

const running: CliProcess[] = [];
function start(args: string[]): CliProcess {
  const p = new CliProcess(args, { SWITCHYARD_LOG: 'info' });
  running.push(p);
  return p;
}
afterEach(() => {
  for (const p of running.splice(0)) p.kill();
});

/** Exits non-zero within the deadline, and its only non-log line is the one expected. */
async function expectOneLineExit(p: CliProcess, line: RegExp): Promise<void> {
  const code = await p.exitWithin(START_MS);
  expect(code, `still running; stderr:\n${p.stderr}`).toBeDefined();
  expect(code).not.toBe(0);
  const lines = plainLines(p.stderr);
  expect(lines, p.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(line);
  expect(p.stderr).not.toMatch(/No address added|\n\s+at /);
}

describe('control plane', { timeout: 240_000 }, () => {
  let nats: NatsServer;
  beforeAll(async () => {
    nats = await NatsServer.start();
  });
  afterAll(async () => {
    await nats?.cleanup();
  });
  const natsArgs = () => {
    const c = nats.credentials();
    return ['--nats', nats.url, '--nats-user', c.user, '--nats-password', c.pass];
  };

  it.each(['xds', 'admin'])('exits with one line when the %s port is in use', async (which) => {
    const held = await holdPort();
    try {
      const args =
        which === 'xds'
          ? ['--xds-port', String(held.port), '--admin-port', '0']
          : ['--xds-port', '0', '--admin-port', String(held.port)];
      // With NATS, whose connection would keep a half-started process alive.
      const p = start(['control-plane', '--host', '127.0.0.1', ...args, ...natsArgs()]);
      const what = which === 'xds' ? 'xDS' : 'admin';
      await expectOneLineExit(
        p,
        new RegExp(`^switchyard control-plane: ${what} port ${held.port} is in use \\(EADDRINUSE\\)`),
      );
    } finally {
      held.server.close();
    }
  });
});

describe('control plane without NATS', { timeout: 240_000 }, () => {
  // Refused at once (nothing listens), or a peer that accepts and never answers (the client's
  // 5 s connect timeout): exit 6 within a bound, one line naming the URL and the code.
  it.each(['refused', 'silent'])('exits with one line when NATS is %s', async (how) => {
    const silent = how === 'silent' ? await holdPort() : undefined;
    try {
      const port = silent ? silent.port : await freePort();
      const url = `nats://127.0.0.1:${port}`;
      const p = start([
        'control-plane',
        '--host',
        '127.0.0.1',
        '--xds-port',
        '0',
        '--admin-port',
        '0',
        '--nats',
        url,
      ]);
      await expectOneLineExit(
        p,
        new RegExp(
          `^switchyard control-plane: cannot connect to NATS at ${url}: ${how === 'silent' ? 'timeout' : 'connection refused'} \\[SY_UNAVAILABLE\\]$`,
        ),
      );
      expect(await p.exitWithin(0)).toBe(6);
    } finally {
      silent?.server.close();
    }
  });
});

describe('pod', { timeout: 240_000 }, () => {
  let repo: Awaited<ReturnType<typeof modelRepoCopy>>;
  let scratch: string;
  beforeAll(async () => {
    repo = await modelRepoCopy(['mlp']);
    scratch = await mkdtemp(join(tmpdir(), 'sy-supervisor-'));
  });
  afterAll(async () => {
    await repo?.cleanup();
    await rm(scratch, { recursive: true, force: true });
  });

  const podArgs = (ports: number[], extra: string[] = []) => [
    'pod',
    '--model-repo',
    repo.dir,
    '--http-port',
    String(ports[0]),
    '--grpc-port',
    String(ports[1]),
    '--metrics-port',
    String(ports[2]),
    '--intra-op-threads',
    '1',
    ...extra,
  ];

  it.each([
    ['HTTP', 0],
    ['gRPC', 1],
  ] as const)('exits with one line when its %s port is in use', async (what, index) => {
    const held = await holdPort();
    try {
      const ports = await freePorts(3);
      ports[index] = held.port;
      const p = start(podArgs(ports));
      await expectOneLineExit(
        p,
        new RegExp(`^switchyard pod: ${what} port ${held.port} is in use \\(EADDRINUSE\\)`),
      );
    } finally {
      held.server.close();
    }
  });

  it('refuses a missing repository and a flat layout, showing the expected one', async () => {
    const ports = await freePorts(3);
    const missing = join(scratch, 'nowhere');
    const p1 = start([...podArgs(ports), '--model-repo', missing]);
    await expectOneLineExit(
      p1,
      /^switchyard pod: model repository .*nowhere does not exist; expected .*nowhere\/<model>\/<version>\/model\.onnx \(e\.g\. .*\/mlp\/1\/model\.onnx\) \[SY_MODEL_REPOSITORY\]$/,
    );
    const flat = join(scratch, 'flat');
    await mkdir(join(flat, 'mlp'), { recursive: true });
    await writeFile(join(flat, 'mlp', 'model.onnx'), 'not really a model');
    const p2 = start([...podArgs(ports), '--model-repo', flat]);
    await expectOneLineExit(
      p2,
      /^switchyard pod: model repository .*flat: .*flat\/mlp\/model\.onnx is not in a version directory; expected .*flat\/<model>\/<version>\/model\.onnx/,
    );
  });

  it('starts on an empty repository only with --allow-empty-repo', async () => {
    const empty = join(scratch, 'empty');
    await mkdir(empty, { recursive: true });
    const ports = await freePorts(3);
    const refused = start([...podArgs(ports), '--model-repo', empty]);
    await expectOneLineExit(refused, /holds no model versions; expected .*--allow-empty-repo/);
    const p = start([...podArgs(ports), '--model-repo', empty, '--allow-empty-repo', '--drain-grace', '0s']);
    await p.waitForOutput(/serving 0 model version/, START_MS);
    p.child.kill('SIGTERM');
    expect(await p.exitWithin(30_000)).toBe(0);
  });

  it('warns when NATS is unreachable, serves, and exits after SIGTERM', async () => {
    const closed = await freePort();
    const ports = await freePorts(3);
    const p = start(podArgs(ports, ['--nats', `nats://127.0.0.1:${closed}`, '--drain-grace', '200ms']));
    await p.waitForOutput(/serving [1-9]\d* model version/, START_MS);
    await p.waitForOutput(
      new RegExp(
        `"level":"warn",[^\\n]*"component":"pod",[^\\n]*"msg":"nats: cannot reach nats://127.0.0.1:${closed}`,
      ),
      30_000,
    );
    expect(p.stderr).not.toMatch(/nats: connected/);
    const live = await fetch(`http://127.0.0.1:${ports[0]}/v2/health/live`);
    expect(live.status).toBe(200);
    p.child.kill('SIGTERM');
    await p.waitForOutput(/drain: done/, 30_000);
    // Before, the pod waited for NATS for ever after its drain.
    expect(await p.exitWithin(30_000)).toBe(0);
  });

  it('answers keep-alive clients with Connection: close while draining and closes idle sockets', async () => {
    const ports = await freePorts(3);
    const p = start(podArgs(ports, ['--drain-grace', '3s']));
    await p.waitForOutput(/serving [1-9]\d* model version/, START_MS);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = () =>
      new Promise<{ status: number; connection: string | undefined; socket: Socket }>((resolve, reject) => {
        const req = httpRequest(
          { host: '127.0.0.1', port: ports[0], path: '/v2/health/live', agent },
          (res) => {
            res.resume();
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                connection: res.headers.connection,
                socket: req.socket!,
              }),
            );
          },
        );
        req.on('error', reject);
        req.end();
      });
    const before = await get();
    expect(before.connection).toBe('keep-alive');
    const idleClosed = new Promise<void>((r) => before.socket.once('close', () => r()));
    p.child.kill('SIGTERM');
    await p.waitForOutput(/draining; admitting requests/, 30_000);
    // The idle keep-alive socket is closed by the pod during the grace period...
    await idleClosed;
    // ...and a request in the grace period is answered, and told to close its connection.
    const during = await get();
    expect(during.status).toBe(200);
    expect(during.connection).toBe('close');
    agent.destroy();
    expect(await p.exitWithin(60_000)).toBe(0);
  });
});
