// What a cluster names in another type: the load assignment an EDS cluster waits for and the
// secrets of its TLS sockets. Listeners and routes: references.test.ts.
import { create } from '@bufbuild/protobuf';
import { anyPack } from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from 'vitest';
import { Cluster_DiscoveryType, ClusterSchema } from '../../protos/gen/envoy/config/cluster/v3/cluster_pb.js';
import { UpstreamTlsContextSchema } from '../../protos/gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';
import { clusterRefs } from './references.js';

const upstream = (cert: string) =>
  anyPack(
    UpstreamTlsContextSchema,
    create(UpstreamTlsContextSchema, {
      commonTlsContext: { tlsCertificateSdsSecretConfigs: [{ name: cert }] },
    }),
  );

describe('clusterRefs', () => {
  it('names the assignment an EDS cluster waits for: its service name, else its own name', () => {
    const eds = { case: 'type' as const, value: Cluster_DiscoveryType.EDS };
    expect(
      clusterRefs(
        create(ClusterSchema, {
          name: 'c',
          clusterDiscoveryType: eds,
          edsClusterConfig: { serviceName: 'svc' },
        }),
      ),
    ).toEqual({ eds: 'svc', secrets: [] });
    expect(clusterRefs(create(ClusterSchema, { name: 'c', clusterDiscoveryType: eds }))).toEqual({
      eds: 'c',
      secrets: [],
    });
    expect(
      clusterRefs(
        create(ClusterSchema, {
          name: 'c',
          clusterDiscoveryType: eds,
          edsClusterConfig: { serviceName: '' },
        }),
      ),
    ).toEqual({ eds: 'c', secrets: [] });
    const strict = create(ClusterSchema, {
      name: 's',
      clusterDiscoveryType: { case: 'type', value: Cluster_DiscoveryType.STRICT_DNS },
      edsClusterConfig: { serviceName: 'ignored' },
    });
    expect(clusterRefs(strict)).toEqual({ secrets: [] });
    expect('eds' in clusterRefs(strict)).toBe(false);
  });

  it('names the secrets of its transport socket and of every socket match, sorted and once each', () => {
    const c = create(ClusterSchema, {
      name: 'c',
      transportSocket: { name: 'tls', configType: { case: 'typedConfig', value: upstream('z-cert') } },
      transportSocketMatches: [
        {
          name: 'm1',
          transportSocket: { name: 'tls', configType: { case: 'typedConfig', value: upstream('a-cert') } },
        },
        {
          name: 'm2',
          transportSocket: { name: 'tls', configType: { case: 'typedConfig', value: upstream('z-cert') } },
        },
      ],
    });
    expect(clusterRefs(c)).toEqual({ secrets: ['a-cert', 'z-cert'] });
  });

  it('works the secrets out once per transport socket and match list, each pair on its own', () => {
    const socket = { name: 'tls', configType: { case: 'typedConfig' as const, value: upstream('b-cert') } };
    const matches = [
      {
        name: 'm',
        transportSocket: {
          name: 'tls',
          configType: { case: 'typedConfig' as const, value: upstream('a-cert') },
        },
      },
    ];
    const eds = { case: 'type' as const, value: Cluster_DiscoveryType.EDS };
    const one = create(ClusterSchema, { name: 'one', clusterDiscoveryType: eds, transportSocket: socket });
    const two = { ...one, name: 'two' };
    const withMatches = create(ClusterSchema, {
      name: 'three',
      clusterDiscoveryType: eds,
      transportSocket: socket,
      transportSocketMatches: matches,
    });
    const other = create(ClusterSchema, {
      name: 'four',
      transportSocket: { name: 'tls', configType: { case: 'typedConfig', value: upstream('c-cert') } },
    });
    // A model's clusters share the socket and the match list: one list for both, each its own EDS name.
    expect(clusterRefs(one)).toEqual({ eds: 'one', secrets: ['b-cert'] });
    expect(clusterRefs(two)).toEqual({ eds: 'two', secrets: ['b-cert'] });
    expect(clusterRefs(two).secrets).toBe(clusterRefs(one).secrets);
    // The same socket with other matches, or another socket: their own secrets.
    expect(clusterRefs(withMatches)).toEqual({ eds: 'three', secrets: ['a-cert', 'b-cert'] });
    expect(clusterRefs(other)).toEqual({ secrets: ['c-cert'] });
    expect(clusterRefs(create(ClusterSchema, { name: 'plain' }))).toEqual({ secrets: [] });
  });
});
