// Readiness, apart from liveness: a replica is ready to take traffic when its store answers, it
// knows whether it leads singleton work, and it has published a snapshot. Each check says why it
// fails, so a 503 from /readyz explains itself (docs/OPERATIONS.md, "Liveness and readiness").

export interface ReadinessCheck {
  readonly name: string;
  /** ok, or why not. May be async (a store round trip); bounded by the probe's deadline. */
  readonly check: () => CheckResult | Promise<CheckResult>;
}

export interface CheckResult {
  readonly ok: boolean;
  readonly detail?: string;
}

export interface Readiness {
  readonly ready: boolean;
  readonly checks: ReadonlyArray<{ name: string; ok: boolean; detail?: string }>;
  /** The failing checks' details, in order: what an operator reads first. */
  readonly reasons: readonly string[];
}

/** A probe that never answers must not hold the orchestrator's request: it counts as not ready. */
export const CHECK_DEADLINE_MS = 1000;

function bounded(c: ReadinessCheck): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    Promise.resolve()
      .then(c.check)
      .catch((err: unknown) => ({ ok: false, detail: (err as Error)?.message ?? String(err) })),
    new Promise<CheckResult>((resolve) => {
      timer = setTimeout(
        () => resolve({ ok: false, detail: `no answer within ${CHECK_DEADLINE_MS} ms` }),
        CHECK_DEADLINE_MS,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}

export async function evaluate(checks: readonly ReadinessCheck[]): Promise<Readiness> {
  const results = await Promise.all(checks.map(bounded));
  const out = checks.map((c, i) => ({
    name: c.name,
    ok: results[i]!.ok,
    ...(results[i]!.detail ? { detail: results[i]!.detail } : {}),
  }));
  return {
    ready: out.every((c) => c.ok),
    checks: out,
    reasons: out.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail ?? 'not ok'}`),
  };
}
