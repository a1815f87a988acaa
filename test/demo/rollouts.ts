// The demo's progressive delivery part: two rollouts on the `mlp` route, started with the CLI and
// left to the controller. A good canary (version 2) walks its steps and is promoted; a bad one
// (version 3, served by a pod that fails 30 % of its requests on purpose) is rolled back by the
// error gate. Every second prints the rollout's step and weight next to what the client saw.

/** What the demo's client saw since the previous take. */
export interface TrafficWindow {
  readonly versions: Readonly<Record<string, number>>;
  readonly failed: number;
}

export interface RolloutDemoDeps {
  readonly adminUrl: string;
  readonly applyPolicy: (yaml: string, reason: string) => Promise<unknown>;
  readonly cli: (args: string[]) => Promise<string>;
  /** The client's answers per version and its failures since the previous call. */
  readonly take: () => TrafficWindow;
  readonly say: (s: string) => void;
  readonly step: (s: string) => void;
}

interface Status {
  readonly phase: string;
  readonly step: number;
  readonly steps: number;
  readonly candidateWeight: number;
  readonly stableWeight: number;
  readonly stepTimeLeftMs: number;
}

const ANALYSIS = `    analysis:
      minRequests: 20                            # fewer: inconclusive, never a pass
      errorRate: { max: 5%, vsStable: 2x }       # and at most twice stable's, same interval
      latencyP99: { maxMs: 1000 }
      failureLimit: 2
      interval: 500ms
    onFailure: rollback`;

function route(versions: ReadonlyArray<[string, number]>, candidate: string): string {
  return `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: mlp, namespace: default }
spec:
  model: mlp
  mtls: DISABLE
  versions:
${versions.map(([v, w]) => `    - { name: "${v}", weight: ${w} }`).join('\n')}
  retries: { attempts: 2, on: [unavailable, reset] }
  rollout:
    candidate: "${candidate}"
    steps:
      - { weight: 10, for: 3s }
      - { weight: 50, for: 3s }
${ANALYSIS}
`;
}

const bar = (share: number, width = 16) => '#'.repeat(Math.round(share * width)).padEnd(width, '.');

async function status(adminUrl: string): Promise<Status> {
  const res = await fetch(`${adminUrl}/api/v1/namespaces/default/rollouts/mlp`);
  if (!res.ok) throw new Error(`rollout status: HTTP ${res.status}`);
  return (await res.json()) as Status;
}

/** Prints one line a second until the rollout ends; returns its phase and the client failures. */
async function follow(d: RolloutDemoDeps, stable: string, candidate: string): Promise<[string, number]> {
  d.say(
    `time  ${'rollout'.padEnd(33)}${`clients on ${stable}`.padEnd(23)}${`on ${candidate}`.padEnd(23)}failed`,
  );
  d.take();
  let failed = 0;
  for (let t = 1; t <= 60; t++) {
    await new Promise((r) => setTimeout(r, 1000));
    const w = d.take();
    failed += w.failed;
    const s = await status(d.adminUrl);
    const n = (w.versions[stable] ?? 0) + (w.versions[candidate] ?? 0);
    const share = (v: string) => (n ? (w.versions[v] ?? 0) / n : 0);
    const col = (v: string) => `${bar(share(v))} ${(100 * share(v)).toFixed(0).padStart(3)}%  `;
    const where =
      s.phase === 'progressing'
        ? `step ${s.step}/${s.steps} ${String(s.candidateWeight).padStart(3)} % (${(s.stepTimeLeftMs / 1000).toFixed(0)}s left)`
        : `${s.phase.toUpperCase()} -> ${s.candidateWeight} %`;
    d.say(`${String(t).padStart(3)}s  ${where.padEnd(33)}${col(stable)}${col(candidate)}${w.failed}`);
    if (s.phase !== 'progressing') {
      // One more second: the clients follow the revision the decision made.
      await new Promise((r) => setTimeout(r, 1000));
      const after = d.take();
      failed += after.failed;
      const m = (after.versions[stable] ?? 0) + (after.versions[candidate] ?? 0);
      d.say(
        `      a second later, the clients: ${stable} ${after.versions[stable] ?? 0}/${m}, ${candidate} ${after.versions[candidate] ?? 0}/${m}, ${after.failed} failed`,
      );
      return [s.phase, failed];
    }
  }
  throw new Error('the rollout did not end within 60 s');
}

/**
 * Runs both rollouts. Returns the client failures during the bad canary: expected (injected),
 * bounded by its step weight and the seconds the gate needed.
 */
export async function rolloutsDemo(d: RolloutDemoDeps): Promise<number> {
  d.step('5. progressive delivery: a good canary (version 2), promoted by the controller');
  await d.applyPolicy(
    route(
      [
        ['1', 100],
        ['2', 0],
      ],
      '2',
    ),
    'mlp with a rollout of version 2',
  );
  await d.cli(['rollout', 'start', 'mlp', '--candidate', '2', '--reason', 'demo: canary 2']);
  const [good, goodFailed] = await follow(d, '1', '2');
  await d.cli(['rollout', 'status', 'mlp']);
  if (good !== 'succeeded' || goodFailed > 0)
    throw new Error(`the good canary ended ${good} with ${goodFailed} failed requests`);

  d.step('6. a bad canary (version 3: its pod fails 30 % of requests), rolled back by the error gate');
  await d.applyPolicy(
    route(
      [
        ['1', 0],
        ['2', 100],
        ['3', 0],
      ],
      '3',
    ),
    'mlp with a rollout of version 3',
  );
  await d.cli(['rollout', 'start', 'mlp', '--candidate', '3', '--reason', 'demo: canary 3']);
  const [bad, badFailed] = await follow(d, '2', '3');
  await d.cli(['rollout', 'status', 'mlp']);
  if (bad !== 'failed') throw new Error(`the bad canary ended ${bad}, not rolled back`);
  return badFailed;
}
