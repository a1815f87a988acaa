// The registry over HTTP (docs/openapi.yaml, docs/REGISTRY.md):
//   GET    /api/v1/models                                   versions the caller may see
//   GET    /api/v1/models/:name                             one model's versions
//   GET    /api/v1/models/:name/versions/:version           describe (placement, audit history)
//   PUT    /api/v1/models/:name/versions/:version           push: the body is the ONNX file
//   DELETE /api/v1/models/:name/versions/:version           delete (admin)
//   POST   /api/v1/models/:name/versions/:version/stage     {stage, reason}
//   POST   /api/v1/models/:name/versions/:version/approve   {stage, reason} (admin, not the pusher)
//   GET    /api/v1/models/:name/versions/:version/artifact?region=R   sealed bytes (residency)
//   GET|PUT /api/v1/promotion-policies/:namespace
import { OptionError } from '../../kernel/errors/index.js';
import type { AdminRequest, AdminRoute } from '../admin/router.js';
import type { Authenticator } from '../auth/authenticator.js';
import { policyDocument } from '../registry/governance.js';
import { checkName, checkVersion } from '../registry/names.js';
import { OnnxChecker } from '../registry/onnx-inspect.js';
import {
  DEFAULT_MAX_MODEL_BYTES,
  decodePushMeta,
  PUSH_DIGEST_HEADER,
  PUSH_META_HEADER,
  readUpload,
} from '../registry/upload.js';
import { callContext } from './http-routes.js';
import { type ModelService, stageParam } from './model-service.js';
import { reasonParam } from './reason.js';

export interface ModelRouteDeps {
  readonly authn: Authenticator;
  /** Absent: the control plane runs without NATS or a KEK, and the routes say so. */
  readonly models?: ModelService;
  readonly maxModelBytes?: number;
}

const VERSION_PATH = '/api/v1/models/:name/versions/:version';

function refOf(req: AdminRequest) {
  return { name: checkName(req.params.name!), version: checkVersion(req.params.version!) };
}

export function modelRoutes(d: ModelRouteDeps): AdminRoute[] {
  const svc = (): ModelService => {
    if (!d.models)
      throw new OptionError(
        'this control plane has no model registry: start it with --nats and a key-encryption key ($SWITCHYARD_PKI_KEK_FILE or --kek-file)',
      );
    return d.models;
  };
  const ctx = (req: AdminRequest) => callContext(d.authn, req);
  const stageBody = (req: AdminRequest) => {
    const b = req.json<{ stage?: unknown; reason?: unknown }>() ?? {};
    return { stage: stageParam(b.stage, 'stage'), reason: reasonParam(b.reason, 'reason') };
  };
  return [
    {
      method: 'GET',
      path: '/api/v1/models',
      handle: async (req) => {
        const namespace = req.query.get('namespace') ?? undefined;
        return { body: { versions: await svc().list(await ctx(req), namespace ? { namespace } : {}) } };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/models/:name',
      handle: async (req) => ({
        body: { versions: await svc().list(await ctx(req), { name: checkName(req.params.name!) }) },
      }),
    },
    {
      method: 'GET',
      path: VERSION_PATH,
      handle: async (req) => ({ body: await svc().describe(await ctx(req), refOf(req)) }),
    },
    {
      method: 'PUT',
      path: VERSION_PATH,
      streamBody: true,
      handle: async (req) => {
        const c = await ctx(req);
        const ref = refOf(req);
        const meta = decodePushMeta(req.headers[PUSH_META_HEADER]);
        // In the header, or in a trailer when the client hashed while it sent.
        const announced = () => {
          const v = req.headers[PUSH_DIGEST_HEADER] ?? req.trailers?.()[PUSH_DIGEST_HEADER];
          return typeof v === 'string' ? v : undefined;
        };
        // ONNX Runtime loads in its worker while the body arrives; stopped if the push ends first.
        const checker = new OnnxChecker();
        try {
          const { bytes, digest } = await readUpload(
            req.stream!,
            d.maxModelBytes ?? DEFAULT_MAX_MODEL_BYTES,
            announced,
          );
          const reason = reasonParam(meta.reason, 'reason');
          const result = await svc().push(c, {
            ...meta,
            ...ref,
            bytes,
            digest,
            checker,
            ...(reason ? { reason } : {}),
          });
          return { status: result.status === 'created' ? 201 : 200, body: result };
        } finally {
          checker.close();
        }
      },
    },
    {
      method: 'DELETE',
      path: VERSION_PATH,
      handle: async (req) => {
        const reason = reasonParam(req.query.get('reason'), 'reason');
        await svc().delete(await ctx(req), refOf(req), reason);
        return { body: { deleted: `${req.params.name}:${req.params.version}` } };
      },
    },
    {
      method: 'POST',
      path: `${VERSION_PATH}/stage`,
      handle: async (req) => {
        const { stage, reason } = stageBody(req);
        return { body: await svc().stage(await ctx(req), refOf(req), stage, reason) };
      },
    },
    {
      method: 'POST',
      path: `${VERSION_PATH}/approve`,
      handle: async (req) => {
        const { stage, reason } = stageBody(req);
        return { body: await svc().approve(await ctx(req), refOf(req), stage, reason) };
      },
    },
    {
      method: 'GET',
      path: `${VERSION_PATH}/artifact`,
      handle: async (req) => {
        const { record, sealed } = await svc().artifact(
          await ctx(req),
          refOf(req),
          req.query.get('region') ?? undefined,
        );
        return {
          headers: {
            'content-type': 'application/octet-stream',
            [PUSH_DIGEST_HEADER]: record.digest,
          },
          body: Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength),
        };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/promotion-policies/:namespace',
      handle: async (req) => ({
        body: policyDocument(
          await svc().promotionPolicy(await ctx(req), checkName(req.params.namespace!, 'namespace')),
        ),
      }),
    },
    {
      method: 'PUT',
      path: '/api/v1/promotion-policies/:namespace',
      handle: async (req) => {
        const ns = checkName(req.params.namespace!, 'namespace');
        return { body: policyDocument(await svc().setPromotionPolicy(await ctx(req), ns, req.json())) };
      },
    },
  ];
}
