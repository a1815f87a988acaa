// Work written as a generator that yields between bounded pieces runs either all at once or in
// slices of about `sliceMs`, the event loop free in between (setImmediate), so one large piece
// of work never holds the admin API and the xDS streams that share the loop.

/** Runs `steps` to the end without yielding to anything and returns its result. */
export function runSteps<T>(steps: Generator<void, T>): T {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/**
 * Runs `steps` in slices. Between slices it gives up when `superseded()` says newer work has
 * begun (returning undefined).
 */
export function runSliced<T>(steps: Generator<void, T>, sliceMs: number): Promise<T>;
export function runSliced<T>(
  steps: Generator<void, T>,
  sliceMs: number,
  superseded: () => boolean,
): Promise<T | undefined>;
export async function runSliced<T>(
  steps: Generator<void, T>,
  sliceMs: number,
  superseded?: () => boolean,
): Promise<T | undefined> {
  let sliceStart = performance.now();
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
    if (performance.now() - sliceStart < sliceMs) continue;
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (superseded?.()) return undefined;
    sliceStart = performance.now();
  }
}
