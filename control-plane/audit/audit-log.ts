// The audit trail's storage: a JetStream stream with one subject. Appends are serialized in this
// process and guarded by JetStream's expected-last-sequence check across replicas, so the chain
// stays linear however many control planes write to it.
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { StoreError } from '../../kernel/errors/index.js';
import { runSliced } from '../../kernel/runtime/steps.js';
import type { RevisionRef } from '../store/policy-record.js';
import { JS_CREATE_TIMEOUT_MS, JS_REQUEST_TIMEOUT_MS, storeCall } from '../store/store-calls.js';
import { type StoreNames, storeNames } from '../store/store-names.js';
import { boundEvent } from './audit-bounds.js';
import {
  type AuditEvent,
  type AuditRecord,
  chainRecord,
  type VerifyResult,
  verifyChainSteps,
} from './audit-chain.js';
import { crossCheck } from './audit-cross-check.js';

/** The stream and subject under the default prefix (store-names.ts). */
export const AUDIT_STREAM = storeNames().auditStream;
export const AUDIT_SUBJECT = storeNames().auditSubject;

/** How open() reaches JetStream; a unit test passes its own to drive the paths a healthy server does not take. */
export interface AuditClients {
  manager(nc: NatsConnection, opts: { timeout: number }): Promise<JetStreamManager>;
  client(nc: NatsConnection, opts: { timeout: number }): JetStreamClient;
}

const JETSTREAM: AuditClients = { manager: jetstreamManager, client: jetstream };

export interface AuditSink {
  append(event: AuditEvent): Promise<AuditRecord>;
}

/** Records read at once from the stream's leader (each is a request of its own). */
const READ_WINDOW = 64;

/** Work per slice while a trail is verified, before the event loop gets a turn. */
const VERIFY_SLICE_MS = 8;

export class AuditLog implements AuditSink {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    /** The server's max_payload: no record may be larger. */
    private readonly maxPayload: number,
    private readonly stream: string,
    private readonly subject: string,
  ) {}

  static async open(
    nc: NatsConnection,
    opts: {
      replicas?: number;
      names?: Pick<StoreNames, 'auditStream' | 'auditSubject'>;
      clients?: AuditClients;
    } = {},
  ): Promise<AuditLog> {
    const { auditStream, auditSubject } = opts.names ?? storeNames();
    const clients = opts.clients ?? JETSTREAM;
    const jsm = await clients.manager(nc, { timeout: JS_REQUEST_TIMEOUT_MS });
    const patient = await clients.manager(nc, { timeout: JS_CREATE_TIMEOUT_MS });
    try {
      await patient.streams.info(auditStream);
    } catch {
      try {
        await patient.streams.add({
          name: auditStream,
          subjects: [auditSubject],
          num_replicas: opts.replicas ?? 1,
        });
      } catch (err) {
        // Another replica may have created it in between.
        if (!/already in use|exists/i.test((err as Error).message))
          throw new StoreError(`cannot create the audit stream: ${(err as Error).message}`, { cause: err });
      }
    }
    return new AuditLog(
      clients.client(nc, { timeout: JS_REQUEST_TIMEOUT_MS }),
      jsm,
      nc.info?.max_payload ?? 1024 * 1024,
      auditStream,
      auditSubject,
    );
  }

  private async last(): Promise<{ seq: number; record?: AuditRecord }> {
    const info = await this.jsm.streams.info(this.stream);
    const seq = info.state.last_seq;
    if (info.state.messages === 0) return { seq };
    const m = await this.jsm.streams.getMessage(this.stream, { seq });
    return { seq, ...(m ? { record: m.json<AuditRecord>() } : {}) };
  }

  append(event: AuditEvent): Promise<AuditRecord> {
    const bounded = boundEvent(event, this.maxPayload);
    // The record whose publish went unanswered, and the sequence it would have landed at: a retry
    // that finds it there is done (chaining it again would record the change twice), even when
    // another replica has appended after it since.
    let sent: { record: AuditRecord; seq: number } | undefined;
    const run = () =>
      storeCall('append to the audit trail', async () => {
        if (sent) {
          const m = await this.jsm.streams.getMessage(this.stream, { seq: sent.seq });
          if (m && m.json<AuditRecord>().hash === sent.record.hash) return sent.record;
        }
        for (let attempt = 0; attempt < 20; attempt++) {
          const { seq, record } = await this.last();
          const next = chainRecord(record, bounded);
          sent = { record: next, seq: seq + 1 };
          try {
            await this.js.publish(this.subject, JSON.stringify(next), {
              expect: { lastSequence: seq },
              msgID: next.hash,
            });
            return next;
          } catch (err) {
            if (!/wrong last sequence/i.test((err as Error).message)) throw err;
            // Another replica appended first: chain onto its record.
          }
        }
        throw new StoreError('cannot append to the audit trail: too much contention');
      });
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  /** Every record in stream order, with the sequence it was stored at. */
  async read(
    opts: { limit?: number; after?: number } = {},
  ): Promise<Array<{ seq: number; record: AuditRecord }>> {
    const info = await this.jsm.streams.info(this.stream);
    const out: Array<{ seq: number; record: AuditRecord }> = [];
    const first = Math.max(
      info.state.first_seq,
      opts.limit ? info.state.last_seq - opts.limit + 1 : 0,
      (opts.after ?? 0) + 1,
    );
    if (info.state.messages === 0) return out;
    // A window of reads in flight at once, kept in order: one after another, each read waited a
    // round trip (0.25 ms a record on one local nats-server, seconds for a long trail).
    for (let start = first; start <= info.state.last_seq; start += READ_WINDOW) {
      const seqs: number[] = [];
      for (let seq = start; seq < start + READ_WINDOW && seq <= info.state.last_seq; seq++) seqs.push(seq);
      // A removed record is null (a gap verify reports); a store that does not answer fails the
      // read, so that recovery never steps over a record it could not see.
      const got = await Promise.all(seqs.map((seq) => this.jsm.streams.getMessage(this.stream, { seq })));
      got.forEach((m, i) => {
        if (m) out.push({ seq: seqs[i]!, record: m.json<AuditRecord>() });
      });
    }
    return out;
  }

  /** The chain, and with `revisions` (the store's) that each has its record (audit-cross-check). */
  async verify(opts: { revisions?: () => Promise<RevisionRef[]> } = {}): Promise<VerifyResult> {
    const info = await this.jsm.streams.info(this.stream);
    const entries = await this.read();
    const result = await runSliced(verifyChainSteps(entries), VERIFY_SLICE_MS);
    const problems = [...result.problems];
    if (opts.revisions)
      problems.push(
        ...crossCheck(
          entries.map((e) => e.record),
          await opts.revisions(),
          Date.now(),
        ),
      );
    const lastRead = entries.at(-1)?.seq ?? 0;
    if (info.state.last_seq > 0 && lastRead !== info.state.last_seq)
      problems.push(`records after ${lastRead} up to sequence ${info.state.last_seq} were removed`);
    if (info.state.messages > 0 && info.state.first_seq !== 1)
      problems.unshift(
        `the trail starts at sequence ${info.state.first_seq}: records 1..${info.state.first_seq - 1} were removed`,
      );
    return { ...result, ok: problems.length === 0, problems };
  }
}
