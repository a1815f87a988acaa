// `make demo`: the whole system on this machine. A real nats-server (JetStream, explicit users),
// the control plane (its own process, policies in the JetStream store), two ONNX Runtime pods
// serving versions 1 and 2 of the `mlp` model (each registers over NATS with credentials that
// may publish only its own subjects), a policy applied with the CLI, and a proxyless gRPC
// client (grpc-js-xds, `xds:///mlp`) sending KServe v2 inference requests. The demo changes the
// policy (canary, half and half, roll forward, roll back) and prints, every second, which
// version actually answered; then two rollouts run by themselves (test/demo/rollouts.ts: a good
// canary promoted, a bad one, version 3 on a third pod that fails requests on purpose, rolled
// back); then the CLI shows endpoints, history, the audit trail and proxies.
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { ensureModelRepository } from '../../data-plane/models/generate.js';
import { podSubjects, podSubscribePermission } from '../../kernel/contract/subjects.js';
import { clientConstructor } from '../../kernel/grpc/service-definition.js';
import {
  GRPCInferenceService,
  type ModelInferRequest,
  ModelInferRequestSchema,
  type ModelInferResponse,
} from '../../protos/gen/inference/grpc_predict_v2_pb.js';
import { runCli } from '../helpers/cli.js';
import { NatsServer } from '../helpers/nats-server.js';
import { freePorts } from '../helpers/ports.js';
import { bootstrapFor } from '../helpers/xds-client.js';
import { rolloutsDemo } from './rollouts.js';

const BIN = 'switchyard.mjs';
const MODEL = 'mlp';
const say = (s: string) => process.stdout.write(`${s}\n`);
const step = (s: string) => say(`\n\x1b[1m== ${s}\x1b[0m`);
const children: ChildProcess[] = [];

function policy(w1: number, w2: number): string {
  return `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: ${MODEL}, namespace: default }
spec:
  model: ${MODEL}
  mtls: DISABLE
  versions:          # no static endpoints: the pods registered over NATS are the endpoints
    - { name: "1", weight: ${w1} }
    - { name: "2", weight: ${w2} }
  retries: { attempts: 2, on: [unavailable, reset] }
`;
}

function start(args: string[], name: string): ChildProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SWITCHYARD_LOG: process.env.SWITCHYARD_LOG ?? 'warn' },
  });
  child.stderr!.on('data', (d: Buffer) => process.stderr.write(`[${name}] ${d}`));
  children.push(child);
  return child;
}

function waitLine(child: ChildProcess, re: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      const m = re.exec(d.toString());
      if (m) resolve(m);
    });
    child.on('exit', (code) => reject(new Error(`process exited with ${code}`)));
  });
}

async function cli(args: string[], admin: string, show = true): Promise<string> {
  if (show) say(`$ switchyard ${args.join(' ')}`);
  const r = await runCli([...args, '--server', admin]);
  if (show) process.stdout.write(r.stdout + r.stderr);
  if (r.code !== 0 && args[0] !== 'diff') throw new Error(`switchyard ${args[0]} exited with ${r.code}`);
  return r.stdout;
}

const InferenceClient = clientConstructor(GRPCInferenceService);
type Infer = (
  req: ModelInferRequest,
  md: grpc.Metadata,
  o: grpc.CallOptions,
  cb: (e: grpc.ServiceError | null, r?: ModelInferResponse) => void,
) => void;

function mlpRequest(): ModelInferRequest {
  const x = new Float32Array(1024).map((_, i) => Math.sin(i));
  return create(ModelInferRequestSchema, {
    modelName: MODEL,
    inputs: [{ name: 'input', datatype: 'FP32', shape: [1n, 1024n] }],
    rawInputContents: [new Uint8Array(x.buffer)],
  });
}

const bar = (share: number, width = 24) => '#'.repeat(Math.round(share * width)).padEnd(width, '.');

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'switchyard-demo-'));
  step('1. NATS (JetStream, explicit users), the control plane, three pods');
  const repo = await ensureModelRepository();
  // pod-c serves version 3 (version 1's weights) and fails 30 % of its requests: the bad canary.
  const pods = [
    { id: 'pod-a', version: '1', from: '1', extra: [] },
    { id: 'pod-b', version: '2', from: '2', extra: [] },
    { id: 'pod-c', version: '3', from: '1', extra: ['--inject-error-rate', '0.3'] },
  ];
  const nats = await NatsServer.start({
    users: pods.map((p) => ({
      user: p.id,
      publish: {
        allow: [podSubjects(p.id).publishPermission],
        deny: [...podSubjects(p.id).controlPlaneOnly],
      },
      subscribe: podSubscribePermission(p.id),
    })),
  });
  say(`nats-server ${nats.url} (pods may publish only on their own subjects)`);
  const admin = nats.credentials('admin');
  const cp = start(
    [
      'control-plane',
      '--nats',
      nats.url,
      '--nats-user',
      admin.user,
      '--nats-password',
      admin.pass,
      '--xds-port',
      '0',
      '--admin-port',
      '0',
      '--admin-grpc-port',
      '0',
    ],
    'control-plane',
  );
  const ready = await waitLine(cp, /ready xds=(\d+) admin=(\d+)/);
  const xds = `127.0.0.1:${ready[1]}`;
  const adminUrl = `http://127.0.0.1:${ready[2]}`;
  say(`control plane: xDS ${xds}, admin ${adminUrl}`);
  for (const p of pods) {
    // Each pod's repository holds one version of the model.
    const dir = join(work, p.id, MODEL);
    mkdirSync(dir, { recursive: true });
    cpSync(join(repo, MODEL, p.from), join(dir, p.version), { recursive: true });
    const [http, grpcPort, metrics] = await freePorts(3);
    const c = nats.credentials(p.id);
    start(
      [
        'pod',
        '--model-repo',
        join(work, p.id),
        '--pod-id',
        p.id,
        '--nats',
        nats.url,
        '--nats-user',
        c.user,
        '--nats-password',
        c.pass,
        '--http-port',
        String(http),
        '--grpc-port',
        String(grpcPort),
        '--metrics-port',
        String(metrics),
        '--region',
        'local',
        '--zone',
        `local-${p.id.slice(-1)}`,
        '--heartbeat-interval',
        '500ms',
        '--drain-grace',
        '200ms',
        '--intra-op-threads',
        '1',
        ...p.extra,
      ],
      p.id,
    );
    say(
      `${p.id}: ${MODEL} version ${p.version}${p.extra.length ? ' (fails 30 %)' : ''} on 127.0.0.1:${grpcPort} (gRPC), ${http} (HTTP)`,
    );
  }

  step('2. apply the canary policy (90 % to version 1, 10 % to version 2)');
  const file = join(work, 'mlp.yaml');
  writeFileSync(file, policy(90, 10));
  await cli(['apply', '-f', file, '--reason', 'canary for version 2'], adminUrl);
  say('waiting for both pods to register over NATS ...');
  for (let i = 0; i < 120; i++) {
    const out = await cli(['endpoints', '-o', 'json'], adminUrl, false);
    const eps = (JSON.parse(out) as { endpoints: Array<{ health: string; state?: string }> }).endpoints;
    if (eps.filter((e) => (e.state ?? e.health) === 'HEALTHY').length >= 2) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  await cli(['endpoints'], adminUrl);

  step('3. live traffic from a proxyless gRPC client (grpc-js-xds, xds:///mlp)');
  const client = new InferenceClient(`xds:///${MODEL}`, grpc.credentials.createInsecure(), {
    'grpc.TEST_ONLY_DO_NOT_USE_IN_PROD.xds_bootstrap_config': bootstrapFor(xds, 'demo-client'),
  });
  const infer = (client as unknown as { modelInfer: Infer }).modelInfer.bind(client);
  const req = mlpRequest();
  let window: Record<string, number> = {};
  let failures = 0;
  let lastError = '';
  let total = 0;
  let running = true;
  const workers = Array.from({ length: 4 }, async () => {
    while (running) {
      await new Promise<void>((resolve) =>
        infer(req, new grpc.Metadata(), { deadline: Date.now() + 5000 }, (err, res) => {
          if (err || !res) {
            failures++;
            lastError = err?.message ?? 'no response';
          } else {
            window[res.modelVersion] = (window[res.modelVersion] ?? 0) + 1;
            total++;
          }
          resolve();
        }),
      );
    }
  });
  const applyPolicy = (yaml: string, reason: string) => {
    writeFileSync(file, yaml);
    return cli(['apply', '-f', file, '--reason', reason], adminUrl);
  };
  const phases: Array<{ note: string; seconds: number; action?: () => Promise<unknown> }> = [
    { note: 'canary 90/10', seconds: 5 },
    {
      note: 'half and half',
      seconds: 4,
      action: () => applyPolicy(policy(50, 50), 'widen the canary'),
    },
    {
      note: 'roll forward: all on version 2',
      seconds: 4,
      action: () => applyPolicy(policy(0, 100), 'promote version 2'),
    },
    {
      note: 'roll back to the first revision',
      seconds: 4,
      action: async () => {
        const hist = JSON.parse(await cli(['history', MODEL, '-o', 'json'], adminUrl, false)) as {
          revisions: Array<{ number: number }>;
        };
        return cli(
          [
            'rollback',
            MODEL,
            '--to',
            String(hist.revisions[0]!.number),
            '--reason',
            'demo: back to the canary',
          ],
          adminUrl,
        );
      },
    },
  ];
  let t = 0;
  for (const phase of phases) {
    say(`--- ${phase.note}`);
    if (phase.action) await phase.action();
    say('time  version 1                        version 2                        rps  failed');
    for (let s = 0; s < phase.seconds; s++) {
      window = {};
      await new Promise((r) => setTimeout(r, 1000));
      t++;
      const n = (window['1'] ?? 0) + (window['2'] ?? 0);
      const s1 = n ? (window['1'] ?? 0) / n : 0;
      const s2 = n ? (window['2'] ?? 0) / n : 0;
      say(
        `${String(t).padStart(3)}s  ${bar(s1)} ${(100 * s1).toFixed(0).padStart(3)}%  ${bar(s2)} ${(100 * s2).toFixed(0).padStart(3)}%  ${String(n).padStart(4)}  ${failures}`,
      );
    }
  }
  let taken = failures;
  const injected = await rolloutsDemo({
    adminUrl,
    applyPolicy,
    cli: (args) => cli(args, adminUrl),
    take: () => {
      const w = { versions: window, failed: failures - taken };
      window = {};
      taken = failures;
      return w;
    },
    say,
    step,
  });
  running = false;
  await Promise.all(workers);
  say(
    `\n${total} inference requests routed by the xDS client, ${failures} failed${failures ? ` (last: ${lastError})` : ''}; ${injected} of them at the bad canary, on purpose.`,
  );

  step('7. what the operators see');
  await cli(['endpoints'], adminUrl);
  await cli(['history', MODEL], adminUrl);
  await cli(['audit', 'log', '--limit', '5'], adminUrl);
  await cli(['audit', 'verify'], adminUrl);
  await cli(['status'], adminUrl);
  // Has the last change reached the proxies, and would the live policies pass review?
  await cli(['wait', MODEL, '--for', 'acked', '--timeout', '20s'], adminUrl);
  await cli(['analyze'], adminUrl).catch((err: Error) => say(`(analyze reported findings: ${err.message})`));
  say(`\nthe operator console is served at ${adminUrl}/ui while this runs (docs/CONSOLE.md)`);
  client.close();

  for (const c of children) c.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 1500));
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await nats.cleanup();
  rmSync(work, { recursive: true, force: true });
  if (failures > injected) process.exitCode = 1;
}

try {
  await main();
} catch (err) {
  for (const c of children) c.kill('SIGKILL');
  process.stderr.write(`demo failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
