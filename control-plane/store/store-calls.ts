// Every call into JetStream is bounded and answers in our terms: a NATS that is down or slow is
// SY_STORE (503, CLI exit 6) within STORE_TIMEOUT_MS, never an untyped "timeout" after the
// client's default 5 s. Messages say which operation failed, not which JetStream subject.
//
// Within that deadline a call is retried when the failure is transient. A request in flight to a
// NATS node that dies is never answered: waiting out one long request timeout was the whole write
// gap after a node loss, so each request gets JS_REQUEST_TIMEOUT_MS and the operation is tried
// again (on the node the client has meanwhile reconnected to). Retried writes must therefore be
// idempotent: the callers check, on a compare-and-set that lost, whether it lost to their own
// first attempt (policy-store.ts). docs/OPERATIONS.md, "Failover timings", has the numbers.
import type { KV } from '@nats-io/kv';
import { StoreError, SwitchyardError } from '../../kernel/errors/index.js';

/** The deadline of one store operation, retries included. */
export const STORE_TIMEOUT_MS = 2000;

/**
 * One JetStream request: a few round trips of an R3 write on a loaded host, well under
 * STORE_TIMEOUT_MS so that a request lost with its node leaves time for two more attempts.
 */
export const JS_REQUEST_TIMEOUT_MS = 700;

/**
 * Creating a bucket or stream goes through the JetStream meta leader and, replicated, waits for
 * a new Raft group to elect its leader: seconds, once, at start.
 */
export const JS_CREATE_TIMEOUT_MS = 15_000;

/** Pause between attempts: long enough not to spin while no JetStream answers at all. */
const RETRY_PAUSE_MS = 50;

/**
 * A compare-and-set that lost: the key changed, or already exists. The causes count too, so a
 * StoreError wrapping one (storeCall) reads as one.
 */
export function isCasFailure(err: unknown): boolean {
  return /wrong last sequence|key exists|10071|10164/i.test(messagesOf(err));
}

/**
 * The revision of `key` when it holds exactly `data`: for a retried write whose compare-and-set
 * lost, its own first attempt, landed (see the top); undefined when another write won.
 */
export async function ownLandedRevision(
  kv: Pick<KV, 'get'>,
  key: string,
  data: Uint8Array,
): Promise<number | undefined> {
  const e = await kv.get(key);
  const same =
    e?.operation === 'PUT' && e.value.length === data.length && Buffer.compare(e.value, data) === 0;
  return same ? e.revision : undefined;
}

/**
 * A compare-and-set write of `data` to `key` (`write` does it and answers the new revision), as
 * one store operation: a retry whose compare-and-set lost to its own first attempt (the key holds
 * exactly `data`) answers that revision. Any other loss is thrown, wrapped as storeCall wraps,
 * for the caller to read as a conflict (isCasFailure on it or its cause).
 */
export function casWrite(
  what: string,
  kv: Pick<KV, 'get'>,
  key: string,
  data: Uint8Array,
  write: () => Promise<number>,
): Promise<number> {
  return storeCall(what, async (retry) => {
    try {
      return await write();
    } catch (err) {
      if (retry && isCasFailure(err)) {
        const own = await ownLandedRevision(kv, key, data);
        if (own !== undefined) return own;
      }
      throw err;
    }
  });
}

/** The messages of `err` and of the errors it was caused by, outermost first. */
function messagesOf(err: unknown): string {
  const parts: string[] = [];
  for (let e = err, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    parts.push(String((e as Error).message ?? e));
    e = (e as { cause?: unknown }).cause;
  }
  return parts.join(' <- ');
}

/**
 * Lost requests, a connection between nodes, a stream or meta leader being elected. The
 * JetStream client reports a request nobody answered (no responders: nothing on that node
 * serves the subject now, as while a stream has no leader) as "jetstream is not enabled", so
 * the causes count too: a NATS without JetStream then fails at the deadline, not at once.
 */
export function isTransient(err: unknown): boolean {
  return /timeout|timed out|no responders|503|disconnect|reconnect|temporarily unavailable|10008|leader|jetstream is not enabled/i.test(
    messagesOf(err),
  );
}

function reasonOf(err: unknown): string {
  const m = String((err as Error)?.message ?? err);
  if (/timeout|timed out/i.test(m)) return `no answer within ${STORE_TIMEOUT_MS} ms`;
  if (/closed|disconnect|no responders|not enabled/i.test(m)) return 'NATS JetStream is not reachable';
  if (isTransient(err)) return `NATS JetStream stayed unavailable for ${STORE_TIMEOUT_MS} ms`;
  return 'NATS JetStream refused the operation';
}

export interface StoreCallOptions {
  /** false: one attempt only (a write that cannot recognise its own earlier attempt). */
  readonly retry?: boolean;
}

/**
 * Runs `fn` with a deadline (operations such as key listings consume over several requests and
 * would otherwise wait on a reconnect for ever), again while it fails transiently; `retry` tells
 * `fn` that an earlier attempt may have landed. Our own errors pass through; anything else
 * becomes a StoreError naming `what`.
 */
export async function storeCall<T>(
  what: string,
  fn: (retry: boolean) => Promise<T>,
  opts: StoreCallOptions = {},
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let expired = false;
  // What the attempts ran into, so that a deadline reached between retries names it (nothing
  // answering at all reads "not reachable", not "no answer").
  let last: unknown;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      expired = true;
      reject(last ?? new Error('timeout'));
    }, STORE_TIMEOUT_MS);
  });
  const attempts = async (): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn(attempt > 0);
      } catch (err) {
        if (err instanceof SwitchyardError || opts.retry === false || !isTransient(err) || expired) throw err;
        last = err;
        await new Promise((r) => setTimeout(r, RETRY_PAUSE_MS));
        if (expired) throw err;
      }
    }
  };
  try {
    return await Promise.race([attempts(), deadline]);
  } catch (err) {
    if (err instanceof SwitchyardError) throw err;
    throw new StoreError(`policy store: cannot ${what}: ${reasonOf(err)}`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}
