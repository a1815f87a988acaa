// The same operations through the gRPC AdminService and through the real `switchyard` CLI.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { clientConstructor } from '../../kernel/grpc/service-definition.js';
import {
  AdminService,
  ApplyRequestSchema,
  GetRequestSchema,
  HistoryRequestSchema,
  ListRequestSchema,
  ProxiesRequestSchema,
  RollbackRequestSchema,
} from '../../protos/gen/switchyard/admin/v1/admin_pb.js';
import { runCli } from '../helpers/cli.js';
import { type ApiFixture, routeDoc, startApi } from './fixture.js';

let fx: ApiFixture;
let dir: string;
beforeAll(async () => {
  fx = await startApi();
  dir = mkdtempSync(join(tmpdir(), 'sy-cli-'));
});
afterAll(async () => {
  await fx?.close();
  rmSync(dir, { recursive: true, force: true });
});

const Admin = clientConstructor(AdminService);
type Unary = (req: unknown, md: Metadata, cb: (err: ServiceError | null, res?: unknown) => void) => void;

function grpcCall<T>(method: string, req: unknown, key?: string): Promise<T> {
  const client = new Admin(`127.0.0.1:${fx.cp.adminGrpcPort}`, credentials.createInsecure());
  const md = new Metadata();
  if (key) md.set('x-api-key', key);
  return new Promise<T>((resolve, reject) =>
    (client as unknown as Record<string, Unary>)[method]!.call(client, req, md, (err, res) => {
      client.close();
      if (err) reject(err);
      else resolve(res as T);
    }),
  );
}

describe('gRPC AdminService', () => {
  it('applies, gets, lists, rolls back and reads history with the same rules as HTTP', async () => {
    const key = fx.keys['operator-default'];
    const a = await grpcCall<{ revision: bigint; outcome: string }>(
      'apply',
      create(ApplyRequestSchema, { document: routeDoc('rpc', 'default', 75), reason: 'via grpc' }),
      key,
    );
    expect(a.outcome).toBe('created');
    await grpcCall('apply', create(ApplyRequestSchema, { document: routeDoc('rpc', 'default', 25) }), key);
    const got = await grpcCall<{
      revision: bigint;
      appliedBy: string;
      document: { spec: { versions: Array<{ weight: number }> } };
    }>('get', create(GetRequestSchema, { namespace: 'default', name: 'rpc' }), key);
    expect(got.appliedBy).toBe('apikey:operator-default');
    expect(got.document.spec.versions[0]!.weight).toBe(25);
    const list = await grpcCall<{ policies: Array<{ name: string }> }>(
      'list',
      create(ListRequestSchema, {}),
      key,
    );
    expect(list.policies.map((p) => p.name)).toContain('rpc');
    await grpcCall(
      'rollback',
      create(RollbackRequestSchema, { namespace: 'default', name: 'rpc', toRevision: a.revision }),
      key,
    );
    const h = await grpcCall<{ revisions: Array<{ source: string; restoredFrom: bigint }> }>(
      'history',
      create(HistoryRequestSchema, { namespace: 'default', name: 'rpc' }),
      key,
    );
    expect(h.revisions.map((r) => r.source)).toEqual(['api', 'api', 'rollback']);
    expect(h.revisions[2]!.restoredFrom).toBe(a.revision);
    expect(h.revisions.map((r) => (r as { number?: bigint }).number)).toEqual([1n, 2n, 3n]);
    // Per-policy numbers: to_number, and neither field for the revision before the live one.
    const byNumber = await grpcCall<{ number: bigint; restoredFromNumber: bigint }>(
      'rollback',
      create(RollbackRequestSchema, { namespace: 'default', name: 'rpc', toNumber: 2n }),
      key,
    );
    expect([byNumber.restoredFromNumber, byNumber.number]).toEqual([2n, 4n]);
    const previous = await grpcCall<{ number: bigint; restoredFromNumber: bigint }>(
      'rollback',
      create(RollbackRequestSchema, { namespace: 'default', name: 'rpc' }),
      key,
    );
    expect([previous.restoredFromNumber, previous.number]).toEqual([3n, 5n]);
  });

  it('maps errors onto gRPC status codes with the Switchyard code in metadata', async () => {
    const denied = await grpcCall(
      'apply',
      create(ApplyRequestSchema, { document: routeDoc('x', 'other') }),
      fx.keys['operator-default'],
    ).catch((e: ServiceError) => e);
    expect((denied as ServiceError).code).toBe(status.PERMISSION_DENIED);
    expect((denied as ServiceError).metadata.get('switchyard-error-code')).toEqual(['SY_FORBIDDEN']);
    const missing = await grpcCall(
      'get',
      create(GetRequestSchema, { namespace: 'default', name: 'nope' }),
      fx.keys['viewer-default'],
    ).catch((e: ServiceError) => e);
    expect((missing as ServiceError).code).toBe(status.NOT_FOUND);
    const anon = await grpcCall('proxies', create(ProxiesRequestSchema, {})).catch((e: ServiceError) => e);
    expect((anon as ServiceError).code).toBe(status.UNAUTHENTICATED);
    const badKey = await grpcCall('proxies', create(ProxiesRequestSchema, {}), 'sy_wrong').catch(
      (e: ServiceError) => e,
    );
    expect((badKey as ServiceError).code).toBe(status.UNAUTHENTICATED);
  });
});

describe('switchyard CLI against the store', () => {
  const cli = (args: string[], key = fx.keys['admin-all']) =>
    runCli([...args, '--server', fx.url], { SWITCHYARD_API_KEY: key });

  it('applies a directory, shows, diffs, rolls back and verifies the audit trail', async () => {
    writeFileSync(join(dir, 'a.yaml'), stringify(routeDoc('cli-a', 'default', 90)));
    writeFileSync(
      join(dir, 'b.yaml'),
      `${stringify(routeDoc('cli-b', 'default', 50))}---\n${stringify(routeDoc('cli-c', 'default', 50))}`,
    );
    const applied = await cli(['apply', '-f', dir, '--reason', 'initial rollout']);
    expect(applied.stderr).toBe('');
    expect(applied.stdout).toMatch(/modelroute default\/cli-a created \(revision \d+\)/);
    expect(applied.stdout).toMatch(/modelroute default\/cli-c created/);
    const again = await cli(['apply', '-f', join(dir, 'a.yaml')]);
    expect(again.stdout).toMatch(/modelroute default\/cli-a unchanged/);

    const table = await cli(['get']);
    expect(table.stdout).toMatch(/^default\s+cli-a\s+cli-a\s+v1=90,v2=10\s+\d+\s+apikey:admin-all/m);
    const yaml = await cli(['get', 'cli-a', '-o', 'yaml']);
    expect(parse(yaml.stdout).spec.versions[0].weight).toBe(90);

    writeFileSync(join(dir, 'a.yaml'), stringify(routeDoc('cli-a', 'default', 20)));
    const diff = await cli(['diff', '-f', join(dir, 'a.yaml')]);
    expect(diff.code).toBe(1);
    expect(diff.stdout).toMatch(/-\s+weight: 90\n\+\s+weight: 20/);
    await cli(['apply', '-f', join(dir, 'a.yaml'), '--reason', 'shift']);
    const history = await cli(['history', 'cli-a']);
    const first = /^(\d+)\s+api\s+v1=90,v2=10/m.exec(history.stdout)?.[1];
    expect(first).toBeDefined();
    const rb = await cli(['rollback', 'cli-a', '--to', first!, '--reason', 'too early']);
    expect(rb.stdout).toMatch(new RegExp(`rolled back to revision ${first}`));
    const after = await cli(['history', 'cli-a']);
    expect(after.stdout).toMatch(
      new RegExp(`rollback to ${first}\\s+v1=90,v2=10\\s+apikey:admin-all\\s+\\S+\\s+too early`),
    );
    const log = await cli(['audit', 'log']);
    expect(log.stdout).toMatch(/apikey:admin-all\s+\S+\s+rollback to \d+\s+default\/cli-a/);
    const verify = await cli(['audit', 'verify']);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/audit trail intact/);
  });

  it('exits with codes scripts can use', async () => {
    expect((await cli(['get', 'does-not-exist'])).code).toBe(4);
    const denied = await cli(['delete', 'cli-b', '-n', 'default'], fx.keys['viewer-default']);
    expect(denied.code).toBe(5);
    expect(denied.stderr).toMatch(
      /may not delete in namespace "default" \(needs role operator\) \[SY_FORBIDDEN\]/,
    );
    writeFileSync(
      join(dir, 'bad.yaml'),
      'apiVersion: switchyard.dev/v1alpha1\nkind: ModelRoute\nmetadata: { name: bad }\nspec: { model: bad, versions: [] }\n',
    );
    const invalid = await cli(['apply', '-f', join(dir, 'bad.yaml')]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/spec\.versions/);
    // Without --to: the revision before the live one, and cli-b has none.
    const noEarlier = await cli(['rollback', 'cli-b']);
    expect(noEarlier.code).toBe(4);
    expect(noEarlier.stderr).toMatch(/no earlier revision to roll back to/);
  });

  it('reads connection settings from a config file', async () => {
    const cfg = join(dir, 'config.yaml');
    writeFileSync(
      cfg,
      stringify({ server: fx.url, apiKey: fx.keys['viewer-default'], namespace: 'default' }),
    );
    const r = await runCli(['get', 'cli-b', '--config', cfg]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/cli-b/);
    writeFileSync(cfg, stringify({ server: fx.url, apiKye: 'x' }));
    const bad = await runCli(['get', '--config', cfg]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown key "apiKye"/);
  });
});
