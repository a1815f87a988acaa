// The audit trail's storage: a JetStream stream with one subject. Appends are serialized in this
// process and guarded by JetStream's expected-last-sequence check across replicas, so the chain
// stays linear however many control planes write to it.
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { StoreError } from '../../kernel/errors/index.js';
import type { RevisionRef } from '../store/policy-record.js';
import { boundEvent } from './audit-bounds.js';
import {
  type AuditEvent,
  type AuditRecord,
  chainRecord,
  type VerifyResult,
  verifyChain,
} from './audit-chain.js';
import { crossCheck } from './audit-cross-check.js';

export const AUDIT_STREAM = 'SWITCHYARD_AUDIT';
export const AUDIT_SUBJECT = 'switchyard.audit.events';

export interface AuditSink {
  append(event: AuditEvent): Promise<AuditRecord>;
}

export class AuditLog implements AuditSink {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    /** The server's max_payload: no record may be larger. */
    private readonly maxPayload: number,
  ) {}

  static async open(nc: NatsConnection, opts: { replicas?: number } = {}): Promise<AuditLog> {
    const jsm = await jetstreamManager(nc);
    try {
      await jsm.streams.info(AUDIT_STREAM);
    } catch {
      try {
        await jsm.streams.add({
          name: AUDIT_STREAM,
          subjects: [AUDIT_SUBJECT],
          num_replicas: opts.replicas ?? 1,
        });
      } catch (err) {
        // Another replica may have created it in between.
        if (!/already in use|exists/i.test((err as Error).message))
          throw new StoreError(`cannot create the audit stream: ${(err as Error).message}`, { cause: err });
      }
    }
    return new AuditLog(jetstream(nc), jsm, nc.info?.max_payload ?? 1024 * 1024);
  }

  private async last(): Promise<{ seq: number; record?: AuditRecord }> {
    const info = await this.jsm.streams.info(AUDIT_STREAM);
    const seq = info.state.last_seq;
    if (info.state.messages === 0) return { seq };
    const m = await this.jsm.streams.getMessage(AUDIT_STREAM, { seq });
    return { seq, ...(m ? { record: m.json<AuditRecord>() } : {}) };
  }

  append(event: AuditEvent): Promise<AuditRecord> {
    const run = async (): Promise<AuditRecord> => {
      const bounded = boundEvent(event, this.maxPayload);
      for (let attempt = 0; attempt < 20; attempt++) {
        const { seq, record } = await this.last();
        const next = chainRecord(record, bounded);
        try {
          await this.js.publish(AUDIT_SUBJECT, JSON.stringify(next), { expect: { lastSequence: seq } });
          return next;
        } catch (err) {
          if (!/wrong last sequence/i.test((err as Error).message))
            throw new StoreError(`cannot append to the audit trail: ${(err as Error).message}`, {
              cause: err,
            });
          // Another replica appended first: chain onto its record.
        }
      }
      throw new StoreError('cannot append to the audit trail: too much contention');
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  /** Every record in stream order, with the sequence it was stored at. */
  async read(
    opts: { limit?: number; after?: number } = {},
  ): Promise<Array<{ seq: number; record: AuditRecord }>> {
    const info = await this.jsm.streams.info(AUDIT_STREAM);
    const out: Array<{ seq: number; record: AuditRecord }> = [];
    const first = Math.max(
      info.state.first_seq,
      opts.limit ? info.state.last_seq - opts.limit + 1 : 0,
      (opts.after ?? 0) + 1,
    );
    for (let seq = first; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const m = await this.jsm.streams.getMessage(AUDIT_STREAM, { seq }).catch(() => null);
      if (m) out.push({ seq, record: m.json<AuditRecord>() });
    }
    return out;
  }

  /** The chain, and with `revisions` (the store's) that each has its record (audit-cross-check). */
  async verify(opts: { revisions?: () => Promise<RevisionRef[]> } = {}): Promise<VerifyResult> {
    const info = await this.jsm.streams.info(AUDIT_STREAM);
    const entries = await this.read();
    const result = verifyChain(entries);
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
