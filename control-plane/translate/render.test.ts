// Resources rendered for operators (render.ts): proto3 JSON with Any payloads expanded, and YAML
// that keeps every value on one line whatever its length.
import { create } from '@bufbuild/protobuf';
import { anyPack } from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ClusterSchema } from '../../protos/gen/envoy/config/cluster/v3/cluster_pb.js';
import { SecretSchema } from '../../protos/gen/envoy/extensions/transport_sockets/tls/v3/secret_pb.js';
import { UpstreamTlsContextSchema } from '../../protos/gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';
import { renderResourcesYaml, resourcesToJson } from './render.js';
import type { ResourceSet } from './types.js';

const LONG = Array.from({ length: 30 }, (_, i) => `word${i}`).join(' ');

const set: ResourceSet = {
  listeners: [],
  routes: [],
  clusters: [
    create(ClusterSchema, {
      name: 'resnet/v1',
      altStatName: LONG,
      transportSocket: {
        name: 'envoy.transport_sockets.tls',
        configType: {
          case: 'typedConfig',
          value: anyPack(UpstreamTlsContextSchema, create(UpstreamTlsContextSchema, { sni: 'pod.example' })),
        },
      },
    }),
  ],
  endpoints: [],
  secrets: [create(SecretSchema, { name: 'ca' })],
};

describe('resourcesToJson', () => {
  it("writes each resource of the type asked for, an Any's payload expanded", () => {
    const [cluster] = resourcesToJson(set, 'clusters') as Record<string, unknown>[];
    expect(cluster).toMatchObject({
      name: 'resnet/v1',
      transportSocket: {
        typedConfig: {
          '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
          sni: 'pod.example',
        },
      },
    });
    expect(resourcesToJson(set, 'secrets')).toEqual([{ name: 'ca' }]);
    expect(resourcesToJson(set, 'listeners')).toEqual([]);
  });
});

describe('renderResourcesYaml', () => {
  it('keeps a long value with spaces on one line, and reads back as the JSON', () => {
    const text = renderResourcesYaml(set, 'clusters');
    expect(text.split('\n').filter((l) => l.includes('word0'))).toEqual([`  altStatName: ${LONG}`]);
    expect(parse(text)).toEqual(resourcesToJson(set, 'clusters'));
  });
});
