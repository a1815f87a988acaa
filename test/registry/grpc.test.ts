// The registry over the gRPC AdminService against a real control plane: the same objects as the
// HTTP API, the same roles, registry errors mapped onto gRPC status codes with the Switchyard code
// in metadata, and every change audited.
import { create, toJson } from '@bufbuild/protobuf';
import { ListValueSchema } from '@bufbuild/protobuf/wkt';
import { credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePushMeta, PUSH_META_HEADER } from '../../control-plane/registry/upload.js';
import { clientConstructor } from '../../kernel/grpc/service-definition.js';
import {
  AdminService,
  DeleteModelRequestSchema,
  ListModelsRequestSchema,
  ModelVersionRefSchema,
  StageModelRequestSchema,
} from '../../protos/gen/switchyard/admin/v1/admin_pb.js';
import { type ApiFixture, apiKey, startApi } from '../api/fixture.js';
import { modelFile } from './helpers.js';

const Admin = clientConstructor(AdminService);
type Unary = (req: unknown, md: Metadata, cb: (err: ServiceError | null, res?: unknown) => void) => void;

describe('registry over gRPC', () => {
  let fx: ApiFixture;
  // biome-ignore lint/suspicious/noExplicitAny: responses are checked field by field
  const grpc = (method: string, fields: object, key: string): Promise<any> => {
    const schema = {
      listModels: ListModelsRequestSchema,
      describeModel: ModelVersionRefSchema,
      stageModel: StageModelRequestSchema,
      approveModel: StageModelRequestSchema,
      deleteModel: DeleteModelRequestSchema,
    }[method]!;
    const req = create(schema as typeof StageModelRequestSchema, fields);
    const client = new Admin(`127.0.0.1:${fx.cp.adminGrpcPort}`, credentials.createInsecure());
    const md = new Metadata();
    md.set('x-api-key', key);
    return new Promise((resolve, reject) =>
      (client as unknown as Record<string, Unary>)[method]!.call(client, req, md, (err, res) => {
        client.close();
        if (err) reject(err);
        else resolve(res);
      }),
    );
  };
  beforeAll(async () => {
    fx = await startApi();
    const res = await fetch(`${fx.url}/api/v1/models/churn/versions/7`, {
      method: 'PUT',
      body: modelFile('convnet'),
      headers: {
        ...apiKey(fx.keys['operator-default']),
        [PUSH_META_HEADER]: encodePushMeta({ namespace: 'default', metrics: { auc: 0.8 } }),
      },
    });
    expect(res.status).toBe(201);
  }, 120_000);
  afterAll(async () => fx?.close());

  it('lists and describes the same objects as HTTP', async () => {
    const viewer = fx.keys['viewer-default'];
    const list = await grpc('listModels', {}, viewer);
    const http = await fx.call('GET', '/api/v1/models', undefined, apiKey(viewer));
    const versions = toJson(ListValueSchema, list.versions) as Array<{ name: string }>;
    expect(versions).toEqual(http.json.versions);
    expect(versions.map((v) => v.name)).toEqual(['churn']);
    const d = await grpc('describeModel', { name: 'churn', version: '7' }, viewer);
    expect(d.version.digest).toMatch(/^sha256:/);
    expect(d.version.history[0].action).toBe('model-push');
    await expect(grpc('describeModel', { name: 'churn', version: '8' }, viewer)).rejects.toMatchObject({
      code: status.NOT_FOUND,
    });
  }, 60_000);

  it('stages under the promotion policy, refusals as FAILED_PRECONDITION with the code in metadata', async () => {
    const admin = fx.keys['admin-default'];
    const operator = fx.keys['operator-default'];
    const put = await fx.call(
      'PUT',
      '/api/v1/promotion-policies/default',
      { stages: { canary: ['metric auc >= 0.9'] } },
      apiKey(admin),
    );
    expect(put.status).toBe(200);
    const err = (await grpc('stageModel', { name: 'churn', version: '7', stage: 'canary' }, operator).catch(
      (e) => e,
    )) as ServiceError;
    expect(err.code).toBe(status.FAILED_PRECONDITION);
    expect(err.metadata.get('switchyard-error-code')).toEqual(['SY_PROMOTION_REFUSED']);
    expect(err.details).toContain('metric auc >= 0.9: auc is 0.8');
    const staged = await grpc(
      'stageModel',
      { name: 'churn', version: '7', stage: 'staging', reason: 'tests' },
      operator,
    );
    expect(staged.version.stage).toBe('staging');
    const viewerTry = (await grpc(
      'stageModel',
      { name: 'churn', version: '7', stage: 'archived' },
      fx.keys['viewer-default'],
    ).catch((e) => e)) as ServiceError;
    expect(viewerTry.code).toBe(status.PERMISSION_DENIED);
    const approved = await grpc('approveModel', { name: 'churn', version: '7', stage: 'production' }, admin);
    expect(approved.version.approvals[0].by).toBe('apikey:admin-default');
  }, 60_000);

  it('deletes as admin only, audited', async () => {
    const denied = (await grpc(
      'deleteModel',
      { name: 'churn', version: '7' },
      fx.keys['operator-default'],
    ).catch((e) => e)) as ServiceError;
    expect(denied.code).toBe(status.PERMISSION_DENIED);
    const del = await grpc(
      'deleteModel',
      { name: 'churn', version: '7', reason: 'gone' },
      fx.keys['admin-default'],
    );
    expect(del.deleted).toBe('churn:7');
    const audit = await fx.call('GET', '/api/v1/audit', undefined, apiKey(fx.keys['admin-all']));
    const actions = audit.json.records
      .filter((r: { name: string }) => r.name === 'model:churn:7')
      .map((r: { action: string; phase: string; via?: string }) => `${r.action}:${r.phase}:${r.via}`);
    expect(actions).toEqual([
      'model-push:committed:http',
      'model-stage:aborted:grpc',
      'model-stage:committed:grpc',
      'model-approve:committed:grpc',
      'model-delete:committed:grpc',
    ]);
  }, 60_000);
});
