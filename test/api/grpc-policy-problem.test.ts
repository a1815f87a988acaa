// The gRPC AdminService reports a policy clients do not get as written, as HTTP does: its own
// control plane, because the policy is written to the store past the API (and so unaudited).
import { create } from '@bufbuild/protobuf';
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientConstructor } from '../../kernel/grpc/service-definition.js';
import {
  AdminService,
  ApplyRequestSchema,
  GetRequestSchema,
  ListRequestSchema,
} from '../../protos/gen/switchyard/admin/v1/admin_pb.js';
import { type ApiFixture, apiKey, routeDoc, startApi } from './fixture.js';

let fx: ApiFixture;
beforeAll(async () => {
  fx = await startApi();
});
afterAll(async () => {
  await fx?.close();
});

const Admin = clientConstructor(AdminService);
type Unary = (req: unknown, md: Metadata, cb: (err: ServiceError | null, res?: unknown) => void) => void;

function grpcCall<T>(method: string, req: unknown, key: string): Promise<T> {
  const client = new Admin(`127.0.0.1:${fx.cp.adminGrpcPort}`, credentials.createInsecure());
  const md = new Metadata();
  md.set('x-api-key', key);
  return new Promise<T>((resolve, reject) =>
    (client as unknown as Record<string, Unary>)[method]!.call(client, req, md, (err, res) => {
      client.close();
      if (err) reject(err);
      else resolve(res as T);
    }),
  );
}

type Problem = { code: string; message: string; serving: string };

describe('gRPC AdminService and policy problems', () => {
  it("carries a policy's problem in Get and List, the same as HTTP's", async () => {
    const key = fx.keys['operator-default'];
    await grpcCall('apply', create(ApplyRequestSchema, { document: routeDoc('owned') }), key);
    // A second policy for model "owned", written to the store past the API (which refuses it
    // with 409): what a store written by an older control plane can hold.
    const doc = routeDoc('owned-two');
    doc.spec.model = 'owned';
    await fx.cp.store!.put(
      'default',
      'owned-two',
      { document: doc, appliedBy: 'seed', appliedAt: new Date(0).toISOString(), source: 'api' },
      0,
    );
    const problemOf = async (name: string) =>
      (
        await grpcCall<{ problem?: Problem }>(
          'get',
          create(GetRequestSchema, { namespace: 'default', name }),
          key,
        )
      ).problem;
    const deadline = Date.now() + 30_000;
    while (!(await problemOf('owned-two')) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));

    const problem = await problemOf('owned-two');
    expect(problem).toMatchObject({ code: 'SY_POLICY_CONFLICT', serving: 'owner' });
    expect(problem!.message).toMatch(
      /default\/owned-two is not served: model "owned" is already routed by default\/owned/,
    );
    expect(await problemOf('owned')).toBeUndefined();
    const list = await grpcCall<{ policies: Array<{ name: string; problem?: Problem }> }>(
      'list',
      create(ListRequestSchema, { namespace: 'default' }),
      key,
    );
    expect(list.policies.find((p) => p.name === 'owned-two')?.problem?.code).toBe('SY_POLICY_CONFLICT');
    expect(list.policies.find((p) => p.name === 'owned')?.problem).toBeUndefined();
    const http = await fx.call(
      'GET',
      '/api/v1/namespaces/default/policies/owned-two',
      undefined,
      apiKey(key),
    );
    expect(http.json.problem).toEqual({
      code: problem!.code,
      message: problem!.message,
      serving: problem!.serving,
    });
  });
});
