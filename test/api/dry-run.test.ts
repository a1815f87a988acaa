// `apply --dry-run` on a real nats-server: every check of an apply (parse with paths, RE2,
// roles, one policy per model, compare-and-set) answers as an apply would, and nothing is
// written: no KV revision, no audit record, no idempotency record. Over HTTP (?dryRun=true),
// the gRPC AdminService (dry_run) and the CLI (--dry-run); the gRPC reason has the HTTP bounds.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { MAX_REASON_CHARS } from '../../control-plane/api/reason.js';
import { AUDIT_STREAM } from '../../control-plane/audit/audit-log.js';
import { POLICY_BUCKET } from '../../control-plane/store/policy-store.js';
import { clientConstructor } from '../../kernel/grpc/service-definition.js';
import {
  AdminService,
  ApplyRequestSchema,
  DeleteRequestSchema,
  RollbackRequestSchema,
} from '../../protos/gen/switchyard/admin/v1/admin_pb.js';
import { runMain } from '../helpers/cli-in-process.js';
import { type ApiFixture, apiKey, routeDoc, startApi } from './fixture.js';

let fx: ApiFixture;
let nc: NatsConnection;
let dir: string;
beforeAll(async () => {
  fx = await startApi();
  nc = await connect(fx.nats.connectOptions());
  dir = mkdtempSync(join(tmpdir(), 'sy-dry-'));
});
afterAll(async () => {
  await nc?.close();
  await fx?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The last sequence of the policy bucket and of the audit stream: any write moves one. */
async function written(): Promise<{ kv: number; audit: number }> {
  const jsm = await jetstreamManager(nc);
  const kv = (await jsm.streams.info(`KV_${POLICY_BUCKET}`)).state.last_seq;
  const audit = (await jsm.streams.info(AUDIT_STREAM)).state.last_seq;
  return { kv, audit };
}

const as = (key: keyof ApiFixture['keys']) => apiKey(fx.keys[key]);
const dry = (doc: unknown, key: keyof ApiFixture['keys'] = 'admin-all', headers = {}) =>
  fx.call('POST', '/api/v1/policies?dryRun=true', { document: doc }, { ...as(key), ...headers });

describe('apply --dry-run over HTTP', () => {
  it('answers "created" for a new policy, with its diff and no findings, and writes nothing', async () => {
    const before = await written();
    const r = await dry(routeDoc('fresh'), 'admin-all', { 'idempotency-key': 'k-fresh' });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({
      namespace: 'default',
      name: 'fresh',
      outcome: 'created',
      dryRun: true,
      revision: 0,
      checks: [],
    });
    expect(r.json.diff).toMatch(/\+\+\+ applied\/default\/fresh/);
    expect(r.json.diff).toMatch(/\+ {2}model: fresh/);
    expect(await written()).toEqual(before);
    expect(
      (await fx.call('GET', '/api/v1/namespaces/default/policies/fresh', undefined, as('admin-all'))).status,
    ).toBe(404);
    // The key was not used up: the real apply with it creates, it does not replay.
    const real = await fx.call(
      'POST',
      '/api/v1/policies',
      { document: routeDoc('fresh') },
      {
        ...as('admin-all'),
        'idempotency-key': 'k-fresh',
      },
    );
    expect(real.status).toBe(201);
    expect(real.json.replayed).toBeUndefined();
    expect(real.json.dryRun).toBeUndefined();
    const after = await written();
    expect(after.kv).toBeGreaterThan(before.kv);
    expect(after.audit).toBeGreaterThan(before.audit);
  });

  it('answers "configured" with the diff against the live revision, and "unchanged" for the same document', async () => {
    expect(
      (
        await fx.call(
          'POST',
          '/api/v1/policies',
          { document: routeDoc('live', 'default', 90) },
          as('admin-all'),
        )
      ).status,
    ).toBe(201);
    const live = await fx.call('GET', '/api/v1/namespaces/default/policies/live', undefined, as('admin-all'));
    const before = await written();
    const changed = await dry(routeDoc('live', 'default', 60));
    expect(changed.status).toBe(200);
    expect(changed.json).toMatchObject({ outcome: 'configured', dryRun: true, revision: live.json.revision });
    expect(changed.json.diff).toMatch(/- +weight: 90/);
    expect(changed.json.diff).toMatch(/\+ +weight: 60/);
    const same = await dry(routeDoc('live', 'default', 90));
    expect(same.json).toMatchObject({ outcome: 'unchanged', dryRun: true, diff: '' });
    // A stale compare-and-set base is refused as the write would be.
    const stale = await fx.call(
      'PUT',
      '/api/v1/namespaces/default/policies/live?dryRun=true',
      { document: routeDoc('live', 'default', 60), expectedRevision: live.json.revision - 1 },
      as('admin-all'),
    );
    expect(stale.status).toBe(409);
    expect(stale.json.message).toMatch(/changed since revision/);
    expect(await written()).toEqual(before);
    expect(
      (await fx.call('GET', '/api/v1/namespaces/default/policies/live', undefined, as('admin-all'))).json
        .revision,
    ).toBe(live.json.revision);
  });

  it('refuses an invalid policy with 422 and the paths of its problems', async () => {
    const doc = routeDoc('broken');
    (doc.spec.versions[0] as { weight: number }).weight = -3;
    (doc.spec as Record<string, unknown>).mirorr = {};
    const before = await written();
    const r = await dry(doc);
    expect(r.status).toBe(422);
    expect(r.json.code).toBe('SY_POLICY_INVALID');
    const paths = r.json.issues.map((i: { path: string }) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['spec.versions[0].weight', 'spec.mirorr']));
    expect(await written()).toEqual(before);
  });

  it('refuses a header regex that RE2 cannot compile', async () => {
    const doc = {
      ...routeDoc('rx'),
      spec: {
        ...routeDoc('rx').spec,
        match: [{ headers: { 'x-cohort': { regex: '(?<name>a)' } }, version: 'v1' }],
      },
    };
    const r = await dry(doc);
    expect(r.status).toBe(422);
    expect(r.json.issues).toEqual([
      expect.objectContaining({
        path: expect.stringMatching(/x-cohort/),
        message: expect.stringMatching(/RE2/),
      }),
    ]);
  });

  it('refuses with 409 a policy for a model another policy routes, and checks roles', async () => {
    expect(
      (await fx.call('POST', '/api/v1/policies', { document: routeDoc('owner') }, as('admin-all'))).status,
    ).toBe(201);
    const before = await written();
    const other = routeDoc('thief');
    other.spec.model = 'owner';
    const r = await dry(other);
    expect(r.status).toBe(409);
    expect(r.json.message).toMatch(/already routed by default\/owner/);
    const viewer = await dry(routeDoc('peek'), 'viewer-default');
    expect(viewer.status).toBe(403);
    const elsewhere = await dry(routeDoc('far', 'prod'), 'operator-default');
    expect(elsewhere.status).toBe(403);
    expect(await written()).toEqual(before);
  });

  it('refuses a dryRun value that is not true or false, rather than applying', async () => {
    const before = await written();
    const r = await fx.call(
      'POST',
      '/api/v1/policies?dryRun=yes',
      { document: routeDoc('typo') },
      as('admin-all'),
    );
    expect(r.status).toBe(400);
    expect(r.json.message).toMatch(/dryRun: "yes" is not true or false/);
    expect(await written()).toEqual(before);
  });
});

const Admin = clientConstructor(AdminService);
type Unary = (req: unknown, md: Metadata, cb: (err: ServiceError | null, res?: unknown) => void) => void;

function grpcCall<T>(method: string, req: unknown): Promise<T> {
  const client = new Admin(`127.0.0.1:${fx.cp.adminGrpcPort}`, credentials.createInsecure());
  const md = new Metadata();
  md.set('x-api-key', fx.keys['admin-all']);
  return new Promise<T>((resolve, reject) =>
    (client as unknown as Record<string, Unary>)[method]!.call(client, req, md, (err, res) => {
      client.close();
      if (err) reject(err);
      else resolve(res as T);
    }),
  );
}

describe('apply --dry-run over gRPC', () => {
  it('answers with dry_run set and writes nothing', async () => {
    const before = await written();
    const r = await grpcCall<{ outcome: string; dryRun: boolean; diff: string; checks: unknown[] }>(
      'apply',
      create(ApplyRequestSchema, { document: routeDoc('rpc-dry'), dryRun: true, reason: 'try' }),
    );
    expect(r).toMatchObject({ outcome: 'created', dryRun: true, checks: [] });
    expect(r.diff).toMatch(/model: rpc-dry/);
    expect(await written()).toEqual(before);
  });

  it('refuses a reason over the limit with INVALID_ARGUMENT on apply, delete and rollback, as HTTP does', async () => {
    const long = 'x'.repeat(MAX_REASON_CHARS + 1);
    const before = await written();
    for (const [method, req] of [
      ['apply', create(ApplyRequestSchema, { document: routeDoc('rpc-long'), reason: long })],
      ['delete', create(DeleteRequestSchema, { namespace: 'default', name: 'live', reason: long })],
      ['rollback', create(RollbackRequestSchema, { namespace: 'default', name: 'live', reason: long })],
    ] as const) {
      const err = (await grpcCall(method, req).catch((e: ServiceError) => e)) as ServiceError;
      expect([method, err.code]).toEqual([method, status.INVALID_ARGUMENT]);
      expect(err.details).toBe(
        `reason: ${MAX_REASON_CHARS + 1} characters, at most ${MAX_REASON_CHARS} allowed`,
      );
      expect(err.metadata.get('switchyard-error-code')).toEqual(['SY_OPTION_INVALID']);
    }
    expect(await written()).toEqual(before);
  });
});

describe('switchyard apply --dry-run', () => {
  const cli = (...args: string[]) => runMain(...args, '--server', fx.url, '--api-key', fx.keys['admin-all']);

  it('prints each policy\'s outcome with "(dry run)" and stores nothing', async () => {
    writeFileSync(join(dir, 'a.yaml'), stringify(routeDoc('cli-a')));
    writeFileSync(join(dir, 'b.yaml'), stringify(routeDoc('live', 'default', 30)));
    const before = await written();
    const r = await cli('apply', '--dry-run', '-f', dir);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe(
      'modelroute default/cli-a created (dry run)\nmodelroute default/live configured (dry run)\n',
    );
    expect(await written()).toEqual(before);
  });

  it('exits as a real apply does when the server refuses a file', async () => {
    const conflicting = routeDoc('cli-thief');
    conflicting.spec.model = 'owner';
    const file = join(dir, 'thief.yaml');
    writeFileSync(file, stringify(conflicting));
    const dryRun = await cli('apply', '--dry-run', '-f', file);
    const real = await cli('apply', '-f', file);
    expect(dryRun.code).not.toBe(0);
    expect(dryRun.code).toBe(real.code);
    expect(dryRun.stderr).toMatch(/thief\.yaml: .*already routed by default\/owner/);
  });
});
