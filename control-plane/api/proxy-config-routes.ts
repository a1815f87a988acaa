// GET /api/v1/proxies/:node/config: what this server sends that node now, per resource type, as
// proto3 JSON (the Any payloads expanded), computed from the node's subscriptions and its group's
// current snapshot: istioctl proxy-config's question, answered by the server rather than the
// proxy. Private keys never leave: every `privateKey` in a secret is replaced by a marker.
import { toJson } from '@bufbuild/protobuf';
import { AnySchema } from '@bufbuild/protobuf/wkt';
import { NotFoundError, OptionError } from '../../kernel/errors/index.js';
import type { AdminRoute } from '../admin/router.js';
import type { Authenticator } from '../auth/authenticator.js';
import { authorize } from '../auth/rbac.js';
import { XDS_REGISTRY } from '../resources/index.js';
import type { EncodedResource } from '../xds/cache/snapshot.js';
import { RESOURCE_TYPES, type TypeUrl } from '../xds/resource-types.js';
import type { StreamContext } from '../xds/server/stream-context.js';
import { callContext } from './http-routes.js';

/** The type names `--type` takes, as config-dump spells them. */
export const CONFIG_TYPES = ['listeners', 'routes', 'clusters', 'endpoints', 'secrets'] as const;
export type ConfigType = (typeof CONFIG_TYPES)[number];

export const REDACTED = '[redacted]';

export interface ProxyConfigDeps {
  readonly authn: Authenticator;
  readonly desiredFor: (
    nodeId: string,
  ) => Array<{ ctx: StreamContext; types: Map<TypeUrl, ReadonlyMap<string, EncodedResource>> }>;
}

/** Replaces every `privateKey` value (inline bytes, a string, a file name) by a marker. */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, k === 'privateKey' ? REDACTED : redactSecrets(v)]),
  );
}

function typesParam(raw: string | null): ConfigType[] {
  if (raw === null || raw === '') return [...CONFIG_TYPES];
  const asked = raw.split(',').map((t) => t.trim());
  const bad = asked.filter((t) => !(CONFIG_TYPES as readonly string[]).includes(t));
  if (bad.length) throw new OptionError(`type: ${bad.join(',')} is not among ${CONFIG_TYPES.join(',')}`);
  return asked as ConfigType[];
}

export function proxyConfigRoutes(d: ProxyConfigDeps): AdminRoute[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/proxies/:node/config',
      handle: async (req) => {
        authorize((await callContext(d.authn, req)).principal, 'proxies');
        const nodeId = req.params.node!;
        const types = typesParam(req.query.get('type'));
        const streams = d.desiredFor(nodeId);
        if (streams.length === 0)
          throw new NotFoundError(
            `no proxy with node id ${JSON.stringify(nodeId)} is connected to this replica`,
          );
        return {
          body: {
            node: nodeId,
            streams: streams.map(({ ctx, types: held }) => {
              const out: Record<string, unknown[]> = {};
              for (const [url, resources] of held) {
                const field = RESOURCE_TYPES[url].field as ConfigType;
                if (!types.includes(field)) continue;
                const json = [...resources.values()].map((r) =>
                  toJson(AnySchema, r.any, { registry: XDS_REGISTRY }),
                );
                out[field] = field === 'secrets' ? json.map(redactSecrets) : json;
              }
              return {
                stream: ctx.id,
                flavor: ctx.flavor ?? 'unknown',
                group: ctx.group ?? '',
                protocol: ctx.protocol,
                resources: out,
              };
            }),
          },
        };
      },
    },
  ];
}
