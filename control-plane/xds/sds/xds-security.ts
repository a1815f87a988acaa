// The xDS server's side of mTLS delivery (docs/SECURITY.md), in one place: which streams are admitted (certificate, allow-
// list, node id), which group each reads (Envoy by proven identity, gRPC by flavor and
// capability set), which SDS names a stream may see, and the trust bundle pushed to every
// stream when the CA changes. The ADS server only calls the hooks (admit, groupOf, filterFor);
// it knows nothing of certificates.
import type { PeerCertificate } from 'node:tls';
import { status } from '@grpc/grpc-js';
import { Gauge, Histogram, type Registry } from 'prom-client';
import type { Logger } from '../../../kernel/log/index.js';
import { compileAllowList } from '../../../kernel/tls/index.js';
import type { Node } from '../../../protos/gen/envoy/config/core/v3/base_pb.js';
import type { CertificateAuthority } from '../../pki/index.js';
import { GROUPS } from '../../translate/capabilities.js';
import type { SnapshotCache } from '../cache/snapshot-cache.js';
import { TYPE } from '../resource-types.js';
import type { Admission } from '../server/ads-server.js';
import type { ResourceFilter } from '../server/desired.js';
import { defaultGroupOf, nodeFlavor } from '../server/node-flavor.js';
import type { StreamContext, XdsCallbacks } from '../server/stream-context.js';
import { IdentityGroups } from './identity-groups.js';
import { type AdmissionPolicy, admitStream } from './stream-admission.js';

export interface XdsSecurityOptions {
  readonly cache: SnapshotCache;
  readonly authority: CertificateAuthority;
  /** SPIFFE IDs or prefixes (ending in "/") allowed on xDS; default the whole trust domain. */
  readonly allow?: readonly string[];
  /** A plaintext port for proxyless gRPC exists (see stream-admission.ts). */
  readonly anonymousGrpc: boolean;
  readonly identitySecretName: string;
  readonly trustBundleSecretName: string;
  /** Agent directory of a proxy's identity on its host (placeholders: see sds/secrets.ts). */
  readonly identityDirTemplate: string;
  /** Flavor groups the Envoy identity groups extend; default every Envoy group of GROUPS. */
  readonly envoyGroups?: readonly string[];
  readonly registry?: Registry;
  readonly log: Logger;
}

const ENVOY_GROUPS = GROUPS.filter((g) => g.flavor === 'envoy').map((g) => g.group);

const CODE_NAMES: Record<number, string> = {
  [status.UNAUTHENTICATED]: 'UNAUTHENTICATED',
  [status.PERMISSION_DENIED]: 'PERMISSION_DENIED',
};

export class XdsSecurity implements XdsCallbacks {
  /** Per Envoy flavor group (gateway, sidecar): the identity groups extending it. */
  private readonly groups = new Map<string, IdentityGroups>();
  private readonly policy: AdmissionPolicy;
  private readonly sdsNames: ReadonlySet<string>;
  private readonly unsubscribe: () => void;
  /** Streams refused since start, by gRPC status code (the Prometheus counter is in metrics). */
  readonly refusals = new Map<number, number>();
  /**
   * The last bundle push, server side: republishing every identity group, through each stream
   * writing its SDS response to grpc-js (synchronous; the network and clients come after).
   */
  lastBundlePush: { readonly ms: number; readonly groups: number } | undefined;
  private readonly pushSeconds?: Histogram;

  constructor(private readonly o: XdsSecurityOptions) {
    const td = o.authority.trustDomain;
    this.policy = {
      allow: compileAllowList(o.allow?.length ? o.allow : [`spiffe://${td}/`]),
      anonymousGrpc: o.anonymousGrpc,
    };
    this.sdsNames = new Set([o.identitySecretName, o.trustBundleSecretName]);
    const bundle = o.authority.trustBundle();
    for (const baseGroup of o.envoyGroups ?? ENVOY_GROUPS)
      this.groups.set(
        baseGroup,
        new IdentityGroups(
          o.cache,
          {
            baseGroup,
            identitySecretName: o.identitySecretName,
            trustBundleSecretName: o.trustBundleSecretName,
            identityDirTemplate: o.identityDirTemplate,
            trustDomain: td,
            onError: (group, err) =>
              o.log.error('identity group not published; it keeps its previous snapshot', {
                group,
                error: (err as Error).message,
              }),
          },
          bundle,
        ),
      );
    this.unsubscribe = o.authority.onChange((change) => {
      const t0 = performance.now();
      for (const g of this.groups.values()) g.setBundle(change.bundle);
      const ms = performance.now() - t0;
      this.lastBundlePush = { ms, groups: this.identityCount };
      this.pushSeconds?.observe(ms / 1000);
      o.log.info('trust bundle pushed', {
        reason: change.reason,
        version: change.bundle.version,
        identityGroups: this.identityCount,
        ms: Number(ms.toFixed(2)),
      });
    });
    if (o.registry) {
      this.pushSeconds = new Histogram({
        name: 'switchyard_sds_bundle_push_seconds',
        help: 'Server-side time to hand a changed trust bundle to every connected SDS stream',
        buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
        registers: [o.registry],
      });
      const count = () => this.identityCount;
      new Gauge({
        name: 'switchyard_sds_identity_groups',
        help: 'Envoy identities with their own SDS group (identity secret + trust bundle)',
        registers: [o.registry],
        collect() {
          this.set(count());
        },
      });
    }
  }

  /** Identity groups in use, over every Envoy role. */
  get identityCount(): number {
    let n = 0;
    for (const g of this.groups.values()) n += g.identityCount;
    return n;
  }

  /** XdsServerOptions.admit */
  readonly admit = (
    _ctx: StreamContext,
    node: Node | undefined,
    peer: PeerCertificate | undefined,
  ): Admission => admitStream(this.policy, node, peer);

  /**
   * XdsServerOptions.groupOf: Envoy by its role and the identity its certificate proved, gRPC by
   * flavor and capability set.
   */
  readonly groupOf = (ctx: StreamContext): string => {
    const base = defaultGroupOf(ctx.node);
    const groups = nodeFlavor(ctx.node) === 'envoy' && ctx.identity ? this.groups.get(base) : undefined;
    return groups ? groups.groupFor(ctx.identity!) : base;
  };

  /**
   * XdsServerOptions.filterFor: SDS only the two names the translator uses, and only on a stream
   * reading its own identity's group. Groups already hold nothing else; this keeps it so even if
   * a later change put a stream in the wrong group, or added secrets to a shared snapshot.
   */
  readonly filterFor = (ctx: StreamContext): ResourceFilter => {
    const identity = ctx.identity;
    const own = identity
      ? [...this.groups.keys()].some((base) => IdentityGroups.groupName(base, identity) === ctx.group)
      : false;
    return (type, name) => type !== TYPE.SDS || (own && this.sdsNames.has(name));
  };

  onStreamRefused(ctx: StreamContext, code: number, reason: string): void {
    this.refusals.set(code, (this.refusals.get(code) ?? 0) + 1);
    const name = CODE_NAMES[code] ?? String(code);
    this.o.log.warn('xDS stream refused', { stream: ctx.id, peer: ctx.peer, code: name, reason });
  }

  close(): void {
    this.unsubscribe();
    for (const g of this.groups.values()) g.close();
  }
}
