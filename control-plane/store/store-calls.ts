// Every call into JetStream is bounded and answers in our terms: a NATS that is down or slow is
// SY_STORE (503, CLI exit 6) within STORE_TIMEOUT_MS, never an untyped "timeout" after the
// client's default 5 s. Messages say which operation failed, not which JetStream subject.
import { StoreError, SwitchyardError } from '../../kernel/errors/index.js';

/** JetStream request timeout and the deadline of one store operation. */
export const STORE_TIMEOUT_MS = 2000;

/** A compare-and-set that lost: the key changed, or already exists. */
export function isCasFailure(err: unknown): boolean {
  const m = String((err as Error)?.message ?? err);
  return /wrong last sequence|key exists|10071|10164/i.test(m);
}

function reasonOf(err: unknown): string {
  const m = String((err as Error)?.message ?? err);
  if (/timeout|timed out/i.test(m)) return `no answer within ${STORE_TIMEOUT_MS} ms`;
  if (/closed|disconnect|no responders|not enabled/i.test(m)) return 'NATS JetStream is not reachable';
  return 'NATS JetStream refused the operation';
}

/**
 * Runs `fn` with a deadline (operations such as key listings consume over several requests and
 * would otherwise wait on a reconnect for ever). Our own errors pass through; anything else
 * becomes a StoreError naming `what`.
 */
export async function storeCall<T>(what: string, fn: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), STORE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([fn(), deadline]);
  } catch (err) {
    if (err instanceof SwitchyardError) throw err;
    throw new StoreError(`policy store: cannot ${what}: ${reasonOf(err)}`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}
