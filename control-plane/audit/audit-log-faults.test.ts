// The audit log's paths that a single healthy nats-server does not take on demand, driven by a
// hand-written stand-in for the JetStream calls the module makes (audit-log.test.ts runs it on a
// real server): the request timeouts it asks for, two replicas creating the stream at once, a
// retry that finds another writer's record where its own unanswered publish would have landed,
// and the bound on lost races.
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../kernel/errors/index.js';
import { JS_CREATE_TIMEOUT_MS, JS_REQUEST_TIMEOUT_MS } from '../store/store-calls.js';
import { type AuditEvent, type AuditRecord, chainRecord, GENESIS } from './audit-chain.js';
import { type AuditClients, AuditLog } from './audit-log.js';

const nc = { info: { max_payload: 1024 * 1024 } } as unknown as NatsConnection;
const names = { auditStream: 'F_AUDIT', auditSubject: 'f.audit.events' };

const event = (reason: string): AuditEvent => ({
  action: 'apply',
  who: 'apikey:ci',
  at: '2026-01-01T00:00:00.000Z',
  from: '127.0.0.1',
  namespace: 'default',
  name: 'resnet',
  reason,
});

type Publish = (record: AuditRecord, lastSequence: number) => void;

/** A one-subject stream in memory; `onPublish` decides each publish (throw to refuse it). */
class FakeStream {
  readonly stored: AuditRecord[] = [];
  readonly published: Array<{ record: AuditRecord; lastSequence: number }> = [];
  readonly managers: Array<{ timeout: number }> = [];
  readonly clients: Array<{ timeout: number }> = [];
  /** Which manager (by the timeout it was made with) each call went to. */
  readonly calls: string[] = [];
  exists = true;
  addError?: Error;
  onPublish: Publish = (record) => this.stored.push(record);

  readonly api: AuditClients = {
    manager: async (_nc, opts) => {
      this.managers.push(opts);
      return this.manager(opts.timeout);
    },
    client: (_nc, opts) => {
      this.clients.push(opts);
      const js = {
        publish: async (_subject: string, data: string, o: { expect: { lastSequence: number } }) => {
          const record = JSON.parse(data) as AuditRecord;
          this.published.push({ record, lastSequence: o.expect.lastSequence });
          this.onPublish(record, o.expect.lastSequence);
          return { seq: this.stored.length };
        },
      };
      return js as unknown as JetStreamClient;
    },
  };

  private manager(timeout: number): JetStreamManager {
    const streams = {
      info: async () => {
        this.calls.push(`info@${timeout}`);
        if (!this.exists) throw new Error('stream not found');
        const n = this.stored.length;
        return { state: { first_seq: 1, last_seq: n, messages: n } };
      },
      add: async () => {
        this.calls.push(`add@${timeout}`);
        if (this.addError) throw this.addError;
        this.exists = true;
        return {};
      },
      getMessage: async (_stream: string, q: { seq: number }) => {
        const r = this.stored[q.seq - 1];
        return r ? { json: () => r } : null;
      },
    };
    return { streams } as unknown as JetStreamManager;
  }
}

describe('AuditLog.open with a stand-in JetStream', () => {
  it('asks for short requests on appends and a patient manager for creating the stream', async () => {
    const s = new FakeStream();
    s.exists = false;
    const log = await AuditLog.open(nc, { names, clients: s.api });
    expect(s.managers).toEqual([{ timeout: JS_REQUEST_TIMEOUT_MS }, { timeout: JS_CREATE_TIMEOUT_MS }]);
    expect(s.clients).toEqual([{ timeout: JS_REQUEST_TIMEOUT_MS }]);
    expect(JS_REQUEST_TIMEOUT_MS).toBe(700);
    expect(JS_CREATE_TIMEOUT_MS).toBe(15_000);
    // Creating waits on a Raft election: the patient manager; an append must fail fast.
    expect(s.calls).toEqual(['info@15000', 'add@15000']);
    await log.append(event('first'));
    expect(s.calls.slice(2)).toEqual(['info@700']);
  });

  it('takes a stream another replica created in between ("already in use")', async () => {
    const s = new FakeStream();
    s.exists = false;
    s.addError = new Error('stream name already in use with a different configuration');
    const log = await AuditLog.open(nc, { names, clients: s.api });
    expect(s.calls).toEqual(['info@15000', 'add@15000']);
    s.exists = true;
    const r = await log.append(event('after the race'));
    expect(r).toMatchObject({ index: 1, prev: GENESIS, reason: 'after the race' });
  });

  it('takes a stream another replica created in between ("exists")', async () => {
    const s = new FakeStream();
    s.exists = false;
    s.addError = new Error('stream already exists');
    await expect(AuditLog.open(nc, { names, clients: s.api })).resolves.toBeInstanceOf(AuditLog);
  });

  it('names any other failure to create the stream', async () => {
    const s = new FakeStream();
    s.exists = false;
    s.addError = new Error('insufficient resources');
    const err = await AuditLog.open(nc, { names, clients: s.api }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).toBe('cannot create the audit stream: insufficient resources');
  });
});

describe('AuditLog.append retries with a stand-in JetStream', () => {
  it('chains onto another writer whose record sits where its unanswered publish would have', async () => {
    const s = new FakeStream();
    const log = await AuditLog.open(nc, { names, clients: s.api });
    const other = chainRecord(undefined, event('the other replica'));
    let first = true;
    s.onPublish = (record) => {
      if (!first) return void s.stored.push(record);
      // Ours is lost; the other replica's lands at sequence 1 before our retry looks.
      first = false;
      s.stored.push(other);
      throw new Error('timeout');
    };
    const r = await log.append(event('ours'));
    expect(s.published.map((p) => p.lastSequence)).toEqual([0, 1]);
    expect(r).toMatchObject({ index: 2, prev: other.hash, reason: 'ours' });
    expect(s.stored.map((x) => x.reason)).toEqual(['the other replica', 'ours']);
  });

  it('chains again when nothing was stored at the sequence it remembers', async () => {
    const s = new FakeStream();
    const log = await AuditLog.open(nc, { names, clients: s.api });
    let first = true;
    s.onPublish = (record) => {
      if (!first) return void s.stored.push(record);
      first = false;
      throw new Error('timeout');
    };
    const r = await log.append(event('ours'));
    expect(s.published.map((p) => p.lastSequence)).toEqual([0, 0]);
    expect(r).toMatchObject({ index: 1, prev: GENESIS, reason: 'ours' });
    expect(s.stored).toEqual([r]);
  });

  it('does not chain its own record twice when the unanswered publish landed', async () => {
    const s = new FakeStream();
    const log = await AuditLog.open(nc, { names, clients: s.api });
    let first = true;
    s.onPublish = (record) => {
      s.stored.push(record);
      if (!first) return;
      first = false;
      // Another replica appends after ours before the retry looks.
      s.stored.push(chainRecord(record, event('later')));
      throw new Error('timeout');
    };
    const r = await log.append(event('ours'));
    expect(s.published).toHaveLength(1);
    expect(r).toEqual(s.stored[0]);
    expect(s.stored.map((x) => x.reason)).toEqual(['ours', 'later']);
  });

  it('gives up after 20 lost races, naming the contention', async () => {
    const s = new FakeStream();
    const log = await AuditLog.open(nc, { names, clients: s.api });
    s.onPublish = (_record, lastSequence) => {
      throw new Error(`wrong last sequence: ${lastSequence + 1}`);
    };
    const err = await log.append(event('never lands')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).toBe('cannot append to the audit trail: too much contention');
    expect(s.published).toHaveLength(20);
    expect(s.stored).toEqual([]);
  });
});
