// The gRPC flavor's hand-encoded HttpConnectionManager (listeners.ts) against toBinary, for
// names whose lengths cross the varint boundaries and for non-ASCII text.
import { create, toBinary } from '@bufbuild/protobuf';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from 'vitest';
import { RouterSchema } from '../../protos/gen/envoy/extensions/filters/http/router/v3/router_pb.js';
import { HttpConnectionManagerSchema } from '../../protos/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import { grpcHcmBytes, grpcListener, ROUTER_FILTER } from './listeners.js';
import { adsConfigSource, pack } from './proto.js';

function viaToBinary(model: string): Uint8Array {
  return toBinary(
    HttpConnectionManagerSchema,
    create(HttpConnectionManagerSchema, {
      statPrefix: model,
      routeSpecifier: { case: 'rds', value: { configSource: adsConfigSource(), routeConfigName: model } },
      httpFilters: [
        {
          name: ROUTER_FILTER,
          configType: { case: 'typedConfig', value: pack(RouterSchema, create(RouterSchema)) },
        },
      ],
    }),
  );
}

describe('grpcHcmBytes', () => {
  const names = [
    'm',
    'resnet',
    'llama-3.1-8b',
    'a'.repeat(63),
    'b'.repeat(127),
    'c'.repeat(128),
    'd'.repeat(300),
    'é-模型',
    'x'.repeat(20_000),
  ];
  for (const name of names)
    it(`equals toBinary for a ${name.length}-character name`, () => {
      expect(Buffer.from(grpcHcmBytes(name)).equals(Buffer.from(viaToBinary(name)))).toBe(true);
    });

  it('unpacks to the model routes over ADS with the router filter last', () => {
    const any = grpcListener('resnet').apiListener!.apiListener!;
    const hcm = anyUnpack(any, HttpConnectionManagerSchema)!;
    expect(hcm.statPrefix).toBe('resnet');
    expect(hcm.routeSpecifier.case).toBe('rds');
    expect(hcm.routeSpecifier.value).toMatchObject({ routeConfigName: 'resnet' });
    expect(hcm.httpFilters.map((f) => f.name)).toEqual([ROUTER_FILTER]);
  });
});
