// Per-identity node groups for Envoy. The translated clusters and listeners name the SDS secrets
// `switchyard/identity` and `switchyard/trust-bundle` for every Envoy node (one shared snapshot,
// encoded once: xDS rule 8, docs/XDS.md), but the identity secret's content is per identity (its
// agent directory). So an Envoy stream whose certificate proved identity X reads the group
// `envoy|X`: the very same CDS/EDS/LDS/RDS type snapshots as the flavor group, plus an SDS type
// holding X's identity secret and the trust bundle. A stream is put in a group by the identity
// its *certificate* proved, never by anything the node claims, so no request can reach another
// identity's group or its secrets.
import { parseSpiffeId } from '../../../kernel/tls/index.js';
import { type EncodedResource, Snapshot, type TypeSnapshot, versionOf } from '../cache/snapshot.js';
import type { SnapshotCache } from '../cache/snapshot-cache.js';
import { TYPE } from '../resource-types.js';
import { encodeSecret, identityDirectory, identityFileSecret, trustBundleSecret } from './secrets.js';

export interface IdentityGroupOptions {
  /** The flavor group whose snapshot every identity group shares (`envoy`, `envoy+sidecar`). */
  readonly baseGroup: string;
  readonly identitySecretName: string;
  readonly trustBundleSecretName: string;
  /** Agent directory on the proxy's host; {trustDomain}, {namespace}, {serviceAccount}. */
  readonly identityDirTemplate: string;
  readonly trustDomain: string;
  /** A group whose snapshot the cache refused; the group keeps its previous snapshot. */
  readonly onError?: (group: string, err: unknown) => void;
}

export interface BundleView {
  readonly pem: string;
  readonly version: string;
}

export const GROUP_SEPARATOR = '|';

export class IdentityGroups {
  /** identity -> its encoded identity secret (content never changes for one identity). */
  private readonly identities = new Map<string, EncodedResource>();
  /** identity -> its SDS type snapshot for the current bundle (the same object until it changes). */
  private readonly sdsTypes = new Map<string, TypeSnapshot>();
  private bundle: EncodedResource;
  private bundleVersion: string;
  private readonly stopWatch: () => void;
  private base: Snapshot | undefined;
  /** Publish counts, for tests and the benchmark. */
  published = 0;

  constructor(
    private readonly cache: SnapshotCache,
    private readonly opts: IdentityGroupOptions,
    bundle: BundleView,
  ) {
    this.bundleVersion = bundle.version;
    this.bundle = encodeSecret(trustBundleSecret(opts.trustBundleSecretName, bundle.pem));
    this.base = cache.get(opts.baseGroup);
    // The cache calls watchers synchronously inside set(): identity groups follow the flavor
    // snapshot in the same tick, before any stream of theirs could see a mix.
    this.stopWatch = cache.watch(opts.baseGroup, (s) => {
      this.base = s;
      this.publishAll();
    });
  }

  static groupName(baseGroup: string, identity: string): string {
    return `${baseGroup}${GROUP_SEPARATOR}${identity}`;
  }

  /** The group of a stream whose certificate proved `identity`; created on first use. */
  groupFor(identity: string): string {
    const group = IdentityGroups.groupName(this.opts.baseGroup, identity);
    if (!this.identities.has(identity)) {
      const id = parseSpiffeId(identity, this.opts.trustDomain);
      const dir = identityDirectory(this.opts.identityDirTemplate, id);
      this.identities.set(identity, encodeSecret(identityFileSecret(this.opts.identitySecretName, dir)));
      this.publish(identity);
    }
    return group;
  }

  /** The CA's bundle changed: every identity group gets the new validation context at once. */
  setBundle(bundle: BundleView): void {
    if (bundle.version === this.bundleVersion) return;
    this.bundleVersion = bundle.version;
    this.bundle = encodeSecret(trustBundleSecret(this.opts.trustBundleSecretName, bundle.pem));
    this.sdsTypes.clear();
    this.publishAll();
  }

  get identityCount(): number {
    return this.identities.size;
  }

  close(): void {
    this.stopWatch();
  }

  private publishAll(): void {
    for (const identity of this.identities.keys()) this.publish(identity);
  }

  private publish(identity: string): void {
    const base = this.base;
    if (!base) return; // published when the flavor's first snapshot arrives
    let sds = this.sdsTypes.get(identity);
    if (!sds) {
      const secrets = [this.identities.get(identity)!, this.bundle].sort((a, b) =>
        a.name < b.name ? -1 : 1,
      );
      // Kept while the bundle stays: streams recognise an unchanged type by its object.
      sds = { version: versionOf(secrets), resources: new Map(secrets.map((r) => [r.name, r])) };
      this.sdsTypes.set(identity, sds);
    }
    const types = new Map(base.types);
    types.set(TYPE.SDS, sds);
    const group = IdentityGroups.groupName(this.opts.baseGroup, identity);
    try {
      // Through the cache's consistency check: with SDS present, every secret a cluster or
      // listener names must be here (validate/consistency.ts).
      this.cache.set(group, new Snapshot(types));
      this.published++;
    } catch (err) {
      // Never into the flavor group's set(): its own publish succeeded and must stay so.
      this.opts.onError?.(group, err);
    }
  }
}
