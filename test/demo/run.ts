// `make demo`: the control plane (the real CLI, as its own process) with a policy directory, two
// stand-in model backends for versions v1 and v2, and a proxyless gRPC client (grpc-js-xds)
// sending live traffic. The demo edits the policy; the split the client actually routes with is
// printed every second, then `switchyard status` shows the proxies' sync state.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { PredictRequestSchema } from '../../protos/gen/switchyard/demo/v1/backend_pb.js';
import { runCli } from '../helpers/cli.js';
import { modelRouteYaml } from '../helpers/control-plane.js';
import { predict, startDemoBackend } from '../helpers/demo-backend.js';
import { xdsDemoClient } from '../helpers/xds-client.js';

const STEPS: Array<{ weights: [number, number]; seconds: number; note: string }> = [
  { weights: [80, 20], seconds: 4, note: 'canary: 20 % to v2' },
  { weights: [50, 50], seconds: 4, note: 'half and half' },
  { weights: [0, 100], seconds: 4, note: 'roll forward: all on v2' },
  { weights: [100, 0], seconds: 4, note: 'roll back: all on v1' },
];

const bar = (share: number, width = 30) => '#'.repeat(Math.round(share * width)).padEnd(width, '.');

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-demo-'));
  const v1 = await startDemoBackend('v1', 'pod-a');
  const v2 = await startDemoBackend('v2', 'pod-b');
  const policy = (w: [number, number]) =>
    modelRouteYaml('resnet', { v1: [w[0], v1.port], v2: [w[1], v2.port] });
  writeFileSync(join(dir, 'resnet.yaml'), policy(STEPS[0]!.weights));
  process.stdout.write(
    `backends: v1 on 127.0.0.1:${v1.port}, v2 on 127.0.0.1:${v2.port}\npolicy dir: ${dir}\n`,
  );

  const cp = spawn(
    process.execPath,
    [
      'control-plane/cli/bin.mjs',
      'control-plane',
      '--policy-dir',
      dir,
      '--xds-port',
      '0',
      '--admin-port',
      '0',
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, SWITCHYARD_LOG: process.env.SWITCHYARD_LOG ?? 'warn' },
    },
  );
  const ports = await new Promise<{ xds: number; admin: number }>((resolve, reject) => {
    cp.stdout.on('data', (d: Buffer) => {
      const m = /ready xds=(\d+) admin=(\d+)/.exec(d.toString());
      if (m) resolve({ xds: Number(m[1]), admin: Number(m[2]) });
    });
    cp.on('exit', (code) => reject(new Error(`control plane exited with ${code}`)));
  });
  process.stdout.write(
    `control plane: xDS on 127.0.0.1:${ports.xds}, admin on http://127.0.0.1:${ports.admin}\n\n`,
  );

  const client = xdsDemoClient(`127.0.0.1:${ports.xds}`, 'resnet', 'demo-client');
  const req = create(PredictRequestSchema, { model: 'resnet' });
  let window: Record<string, number> = {};
  let failures = 0;
  let total = 0;
  let running = true;
  const workers = Array.from({ length: 4 }, async () => {
    while (running) {
      try {
        const r = await predict(client, req);
        window[r.version] = (window[r.version] ?? 0) + 1;
        total++;
      } catch {
        failures++;
      }
    }
  });

  process.stdout.write(
    'time  policy v1/v2  routed v1                        routed v2                        rps   failed\n',
  );
  let t = 0;
  for (const [i, step] of STEPS.entries()) {
    if (i > 0) writeFileSync(join(dir, 'resnet.yaml'), policy(step.weights));
    process.stdout.write(`--- ${step.note}: policy file now ${step.weights[0]}/${step.weights[1]}\n`);
    for (let s = 0; s < step.seconds; s++) {
      window = {};
      await new Promise((r) => setTimeout(r, 1000));
      t++;
      const n = (window.v1 ?? 0) + (window.v2 ?? 0);
      const s1 = n ? (window.v1 ?? 0) / n : 0;
      const s2 = n ? (window.v2 ?? 0) / n : 0;
      process.stdout.write(
        `${String(t).padStart(3)}s  ${`${step.weights[0]}/${step.weights[1]}`.padEnd(11)}  ${bar(s1)} ${(100 * s1).toFixed(0).padStart(3)}%  ${bar(s2)} ${(100 * s2).toFixed(0).padStart(3)}%  ${String(n).padStart(4)}  ${failures}\n`,
      );
    }
  }
  running = false;
  await Promise.all(workers);
  process.stdout.write(
    `\n${total} RPCs routed by the xDS client, ${failures} failed.\n\n$ switchyard status\n`,
  );
  const status = await runCli(['status', '--server', `http://127.0.0.1:${ports.admin}`]);
  process.stdout.write(status.stdout + status.stderr);
  client.close();
  cp.kill('SIGTERM');
  await Promise.all([v1.close(), v2.close()]);
  rmSync(dir, { recursive: true, force: true });
  if (failures > 0) process.exitCode = 1;
}

await main();
