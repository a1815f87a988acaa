// The registry's RPCs of the gRPC AdminService (list, describe, stage, approve, delete): thin
// mappings onto ModelService, so the rules and audit records are the HTTP API's.
import { create, fromJson, type JsonValue } from '@bufbuild/protobuf';
import { ListValueSchema } from '@bufbuild/protobuf/wkt';
import type { ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import { OptionError } from '../../kernel/errors/index.js';
import {
  DeleteModelResponseSchema,
  ListModelsResponseSchema,
  ModelVersionViewSchema,
} from '../../protos/gen/switchyard/admin/v1/admin_pb.js';
import { checkName, checkVersion } from '../registry/names.js';
import { type ModelService, stageParam } from './model-service.js';
import type { CallContext } from './policy-service.js';
import { reasonParam } from './reason.js';

type Unary = <Req, Res>(
  fn: (ctx: CallContext, req: Req) => Promise<Res>,
) => (call: ServerUnaryCall<Req, Res>, cb: sendUnaryData<Res>) => void;

const json = (v: unknown) => JSON.parse(JSON.stringify(v));
const view = (v: unknown) => create(ModelVersionViewSchema, { version: json(v) });
const refOf = (r: { name: string; version: string }) => ({
  name: checkName(r.name),
  version: checkVersion(r.version),
});

export function modelHandlers(unary: Unary, models: ModelService | undefined) {
  const svc = (): ModelService => {
    if (!models)
      throw new OptionError('this control plane has no model registry (start it with --nats and a KEK)');
    return models;
  };
  type StageReq = { name: string; version: string; stage: string; reason: string };
  return {
    listModels: unary(async (ctx, req: { name: string; namespace: string }) =>
      create(ListModelsResponseSchema, {
        versions: fromJson(
          ListValueSchema,
          json(
            await svc().list(ctx, {
              ...(req.name ? { name: req.name } : {}),
              ...(req.namespace ? { namespace: req.namespace } : {}),
            }),
          ) as JsonValue,
        ),
      }),
    ),
    describeModel: unary(async (ctx, req: { name: string; version: string }) =>
      view(await svc().describe(ctx, refOf(req))),
    ),
    stageModel: unary(async (ctx, req: StageReq) =>
      view(
        await svc().stage(ctx, refOf(req), stageParam(req.stage, 'stage'), reasonParam(req.reason, 'reason')),
      ),
    ),
    approveModel: unary(async (ctx, req: StageReq) =>
      view(
        await svc().approve(
          ctx,
          refOf(req),
          stageParam(req.stage, 'stage'),
          reasonParam(req.reason, 'reason'),
        ),
      ),
    ),
    deleteModel: unary(async (ctx, req: { name: string; version: string; reason: string }) => {
      await svc().delete(ctx, refOf(req), reasonParam(req.reason, 'reason'));
      return create(DeleteModelResponseSchema, { deleted: `${req.name}:${req.version}` });
    }),
  };
}
