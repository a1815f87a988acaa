// The operators' API as a gRPC service (protos/api/switchyard/admin/v1/admin.proto) on its own
// port: the same PolicyService, the same authentication (metadata `authorization` / `x-api-key`,
// or the client certificate of an mTLS connection) and the same roles as the HTTP API.
import { create, fromJson, type JsonValue } from '@bufbuild/protobuf';
import { ListValueSchema } from '@bufbuild/protobuf/wkt';
import {
  Metadata,
  Server,
  type ServerCredentials,
  type ServerUnaryCall,
  status as Status,
  type sendUnaryData,
} from '@grpc/grpc-js';
import { asSwitchyardError, type ErrorCode, UnavailableError } from '../../kernel/errors/index.js';
import { serviceDefinition } from '../../kernel/grpc/service-definition.js';
import {
  AdminService,
  ApplyResponseSchema,
  DeleteResponseSchema,
  DiffResponseSchema,
  EndpointsResponseSchema,
  HistoryResponseSchema,
  ListResponseSchema,
  PolicySchema,
  ProxiesResponseSchema,
  RevisionSchema,
} from '../../protos/gen/switchyard/admin/v1/admin_pb.js';
import type { Authenticator } from '../auth/authenticator.js';
import { authorize } from '../auth/rbac.js';
import type { ProxyRegistry } from '../xds/status/proxy-registry.js';
import { modelHandlers } from './grpc-models.js';
import type { ModelService } from './model-service.js';
import type { ApplyResult, CallContext, PolicyService, PolicyView } from './policy-service.js';
import { reasonParam } from './reason.js';

export interface GrpcAdminDeps {
  readonly service: PolicyService;
  readonly authn: Authenticator;
  readonly proxies: ProxyRegistry;
  readonly endpoints: () => unknown[];
  /** The model registry, when the control plane runs one. */
  readonly models?: ModelService;
}

const GRPC_STATUS: Partial<Record<ErrorCode, Status>> = {
  SY_NOT_FOUND: Status.NOT_FOUND,
  SY_POLICY_CONFLICT: Status.ABORTED,
  SY_UNAUTHENTICATED: Status.UNAUTHENTICATED,
  SY_FORBIDDEN: Status.PERMISSION_DENIED,
  SY_RATE_LIMITED: Status.RESOURCE_EXHAUSTED,
  SY_OPTION_INVALID: Status.INVALID_ARGUMENT,
  SY_POLICY_PARSE: Status.INVALID_ARGUMENT,
  SY_POLICY_INVALID: Status.INVALID_ARGUMENT,
  SY_IDEMPOTENCY_KEY_REUSED: Status.FAILED_PRECONDITION,
  SY_UNAVAILABLE: Status.UNAVAILABLE,
  SY_STORE: Status.UNAVAILABLE,
  SY_VERSION_CONFLICT: Status.ALREADY_EXISTS,
  SY_PROMOTION_REFUSED: Status.FAILED_PRECONDITION,
  SY_RESIDENCY_REFUSED: Status.PERMISSION_DENIED,
  SY_ARTIFACT_INVALID: Status.INVALID_ARGUMENT,
};

function policyMessage(p: PolicyView) {
  return create(PolicySchema, {
    namespace: p.namespace,
    name: p.name,
    model: p.model,
    revision: BigInt(p.revision),
    appliedBy: p.appliedBy ?? '',
    appliedAt: p.appliedAt ?? '',
    source: p.source ?? '',
    autoRollback: !!p.autoRollback,
    document: JSON.parse(JSON.stringify(p.document)),
    number: BigInt(p.number ?? 0),
    ...(p.problem ? { problem: { ...p.problem } } : {}),
  });
}

function applyMessage(r: ApplyResult) {
  return create(ApplyResponseSchema, {
    ...r,
    revision: BigInt(r.revision),
    replayed: !!r.replayed,
    number: BigInt(r.number ?? 0),
    restoredFromNumber: BigInt(r.restoredFromNumber ?? 0),
    dryRun: !!r.dryRun,
    diff: r.diff ?? '',
    checks: (r.checks ?? []).map((c) => ({
      flavor: c.flavor,
      code: c.code,
      issues: c.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)),
    })),
  });
}

const listValue = (items: unknown[]) =>
  fromJson(ListValueSchema, JSON.parse(JSON.stringify(items)) as JsonValue);

type Handler<Req, Res> = (call: ServerUnaryCall<Req, Res>, cb: sendUnaryData<Res>) => void;

export class GrpcAdminServer {
  private readonly server = new Server();

  constructor(private readonly d: GrpcAdminDeps) {
    const unary =
      <Req, Res>(fn: (ctx: CallContext, req: Req) => Promise<Res>): Handler<Req, Res> =>
      (call, cb) => {
        this.context(call)
          .then((ctx) => fn(ctx, call.request))
          .then(
            (res) => cb(null, res),
            (err) => {
              const e = asSwitchyardError(err);
              const md = new Metadata();
              md.set('switchyard-error-code', e.code);
              cb({ code: GRPC_STATUS[e.code] ?? Status.INTERNAL, details: e.message, metadata: md });
            },
          );
      };
    const s = this.d.service;
    this.server.addService(serviceDefinition(AdminService), {
      apply: unary(
        async (
          ctx,
          req: {
            document?: unknown;
            reason: string;
            idempotencyKey: string;
            expectedRevision?: bigint;
            autoRollback: boolean;
            dryRun: boolean;
          },
        ) => {
          const reason = reasonParam(req.reason, 'reason');
          return applyMessage(
            await s.apply(ctx, {
              document: req.document,
              ...(reason ? { reason } : {}),
              ...(req.idempotencyKey ? { idempotencyKey: req.idempotencyKey } : {}),
              ...(req.expectedRevision !== undefined
                ? { expectedRevision: Number(req.expectedRevision) }
                : {}),
              ...(req.autoRollback ? { autoRollback: true } : {}),
              ...(req.dryRun ? { dryRun: true } : {}),
            }),
          );
        },
      ),
      get: unary(async (ctx, req: { namespace: string; name: string }) =>
        policyMessage(await s.get(ctx, req.namespace || 'default', req.name)),
      ),
      list: unary(async (ctx, req: { namespace: string }) =>
        create(ListResponseSchema, {
          policies: (await s.list(ctx, req.namespace || undefined)).map(policyMessage),
        }),
      ),
      diff: unary(async (ctx, req: { document?: unknown }) =>
        create(DiffResponseSchema, await s.diff(ctx, req.document)),
      ),
      delete: unary(
        async (ctx, req: { namespace: string; name: string; reason: string; expectedRevision?: bigint }) => {
          const reason = reasonParam(req.reason, 'reason');
          const r = await s.delete(ctx, req.namespace || 'default', req.name, {
            ...(reason ? { reason } : {}),
            ...(req.expectedRevision !== undefined ? { expectedRevision: Number(req.expectedRevision) } : {}),
          });
          return create(DeleteResponseSchema, { revision: BigInt(r.revision) });
        },
      ),
      history: unary(async (ctx, req: { namespace: string; name: string }) =>
        create(HistoryResponseSchema, {
          revisions: (await s.history(ctx, req.namespace || 'default', req.name)).map((r) =>
            create(RevisionSchema, {
              revision: BigInt(r.revision),
              operation: r.operation,
              at: r.at,
              appliedBy: r.record?.appliedBy ?? '',
              source: r.record?.source ?? '',
              reason: r.record?.reason ?? '',
              restoredFrom: BigInt(r.record?.restoredFrom ?? 0),
              number: BigInt(r.number ?? 0),
              restoredFromNumber: BigInt(r.record?.restoredFromNumber ?? 0),
              ...(r.record ? { document: JSON.parse(JSON.stringify(r.record.document)) } : {}),
            }),
          ),
        }),
      ),
      rollback: unary(
        async (
          ctx,
          req: { namespace: string; name: string; toRevision: bigint; toNumber: bigint; reason: string },
        ) => {
          const ns = req.namespace || 'default';
          const reason = reasonParam(req.reason, 'reason');
          const opts = reason ? { reason } : {};
          return applyMessage(
            req.toRevision
              ? await s.rollback(ctx, ns, req.name, Number(req.toRevision), opts)
              : await s.rollbackToNumber(
                  ctx,
                  ns,
                  req.name,
                  req.toNumber ? Number(req.toNumber) : undefined,
                  opts,
                ),
          );
        },
      ),
      proxies: unary(async (ctx) => {
        authorize(ctx.principal, 'proxies');
        return create(ProxiesResponseSchema, { proxies: listValue(this.d.proxies.list()) });
      }),
      endpoints: unary(async (ctx) => {
        authorize(ctx.principal, 'endpoints');
        return create(EndpointsResponseSchema, { endpoints: listValue(this.d.endpoints()) });
      }),
      ...modelHandlers(unary, this.d.models),
    });
  }

  private async context(call: ServerUnaryCall<unknown, unknown>): Promise<CallContext> {
    const md = call.metadata.getMap();
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(md)) if (typeof v === 'string') headers[k] = v;
    // grpc-js verified the chain when the server requires client certificates.
    const der = call.getAuthContext().sslPeerCertificate?.raw;
    const principal = await this.d.authn.authenticate({
      headers,
      ...(der?.length ? { verifiedPeerCertificate: new Uint8Array(der) } : {}),
    });
    return { principal, from: call.getPeer(), via: 'grpc' };
  }

  listen(host: string, port: number, creds: ServerCredentials): Promise<number> {
    return new Promise((resolve, reject) =>
      this.server.bindAsync(`${host}:${port}`, creds, (err, bound) =>
        err
          ? reject(new UnavailableError(`admin gRPC cannot listen on ${host}:${port}: ${err.message}`))
          : resolve(bound),
      ),
    );
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.tryShutdown(() => resolve());
      setTimeout(() => this.server.forceShutdown(), 1000).unref();
    });
  }
}
