// One platform for the registry's end-to-end suites: a control plane with NATS and a KEK
// (startApi), managed pod processes one per zone, the reference outputs of each mlp version from
// session.run in this process, and a grpc-js-xds client for xds:///mlp. The suites differ in
// their route and in what they do with it; the setup, the CLI push, the placement lookup and the
// teardown are the same.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PlacementView } from '../../control-plane/placement/placement-runner.js';
import { type ApiFixture, startApi } from '../api/fixture.js';
import { ReferenceSession } from '../dataplane/harness.js';
import { runCli } from '../helpers/cli.js';
import { type ManagedPodProcess, startManagedPod } from './managed-pod-process.js';
import { MLP_DIMS, MLP_INPUT, XdsTraffic } from './traffic.js';

export const MLP_REPO = new URL('../fixtures/models/generated/repo/mlp/', import.meta.url).pathname;
// startApi's KEK (test/api/fixture.ts): the pods unseal data keys with the same bytes.
const KEK = new Uint8Array(32).fill(3);

export interface PlatformWorld {
  readonly fx: ApiFixture;
  readonly dir: string;
  /** The control plane's policy directory; the route is `mlp.yaml` in it. */
  readonly policies: string;
  readonly pods: readonly ManagedPodProcess[];
  /** mlp version -> its output for MLP_INPUT from session.run in this process. */
  readonly references: ReadonlyMap<string, Float32Array>;
  readonly traffic: XdsTraffic;
  /** `switchyard models push mlp --version V` as an operator. */
  push(version: string): ReturnType<typeof runCli>;
  /** The leader's placement of mlp:<v>: pods assigned and pods reporting it READY. */
  placed(version: string): Promise<{ assigned: string[]; ready: string[] }>;
  /** The pods' last log lines, for a failed wait. */
  dump(): void;
  close(): Promise<void>;
}

/** Pods are named `pod-<zone>`, one per zone, started in order. */
export async function startPlatform(
  prefix: string,
  route: string,
  zones: readonly string[],
  pod: { readonly drainGrace?: string } = {},
): Promise<PlatformWorld> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const policies = join(dir, 'policies');
  await mkdir(policies);
  await writeFile(join(policies, 'mlp.yaml'), route);
  const fx = await startApi({ policyDir: policies });
  const references = new Map<string, Float32Array>();
  const pods: ManagedPodProcess[] = [];
  const stopPods = async () => {
    for (const p of pods) if (p.proc.exitCode === null) p.proc.kill('SIGKILL');
    await Promise.all(pods.map((p) => p.exited));
  };
  try {
    for (const v of ['1', '2']) {
      const ref = await ReferenceSession.open(join(MLP_REPO, v, 'model.onnx'));
      references.set(v, await ref.run(MLP_INPUT, MLP_DIMS));
      await ref.close();
    }
    for (const zone of zones)
      pods.push(await startManagedPod(fx.nats, { podId: `pod-${zone}`, zone, dir, kek: KEK, ...pod }));
  } catch (err) {
    // A half-started platform is taken down here: the suite's afterAll has nothing to close.
    await stopPods();
    await fx.close();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const traffic = new XdsTraffic(fx.xdsAddress, 'mlp', references);
  return {
    fx,
    dir,
    policies,
    pods,
    references,
    traffic,
    push: (v) =>
      runCli(['models', 'push', 'mlp', '--version', v, '-f', join(MLP_REPO, v, 'model.onnx')], {
        SWITCHYARD_SERVER: fx.url,
        SWITCHYARD_API_KEY: fx.keys['operator-default'],
      }),
    placed: async (v) => {
      const view = (await fx.cp.placement!.view()) as PlacementView;
      const p = view.versions.find((x) => x.key === `mlp.${v}` || (x.model === 'mlp' && x.version === v));
      return { assigned: [...(p?.assigned ?? [])].sort(), ready: [...(p?.ready ?? [])].sort() };
    },
    dump: () => {
      for (const p of pods) console.log(`--- ${p.podId}\n${p.stderr().slice(-3000)}`);
    },
    close: async () => {
      await traffic.stop();
      traffic.close();
      await stopPods();
      await fx.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
