// Which client library a node is (client-family.ts), from its user agent name and version in each
// form a Node can carry them. control-plane/translate/capabilities.test.ts checks what each
// family and version is given; this file pins the reading itself.
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { NodeSchema } from '../../../protos/gen/envoy/config/core/v3/base_pb.js';
import { clientOf } from './client-family.js';

const node = (init: MessageInitShape<typeof NodeSchema>) => create(NodeSchema, init);
const named = (userAgentName: string, version = '1.0.0') =>
  node({ userAgentName, userAgentVersionType: { case: 'userAgentVersion', value: version } });

describe('clientOf', () => {
  it('takes Envoy only from a name that starts with it', () => {
    expect(clientOf(named('envoy')).family).toBe('envoy');
    expect(clientOf(named('Envoy-mobile')).family).toBe('envoy');
    // A gRPC library that mentions Envoy later in its name is that library.
    expect(clientOf(named('gRPC Go (envoy-compatible)')).family).toBe('grpc-go');
    expect(clientOf(named('curl')).family).toBe('unknown');
  });

  it("reads Envoy's build version as major.minor.patch, and nothing when it is empty", () => {
    const build = (version?: { majorNumber: number; minorNumber: number; patch: number }) =>
      node({
        userAgentName: 'envoy',
        userAgentVersionType: { case: 'userAgentBuildVersion', value: version ? { version } : {} },
      });
    expect(clientOf(build({ majorNumber: 1, minorNumber: 31, patch: 2 }))).toEqual({
      family: 'envoy',
      version: '1.31.2',
    });
    expect(clientOf(build())).toEqual({ family: 'envoy', version: '' });
  });

  it('trims a text version, and reads no version when none is announced', () => {
    expect(clientOf(named('gRPC Node Pure JS', ' 1.14.1\n'))).toEqual({
      family: 'grpc-js',
      version: '1.14.1',
    });
    expect(clientOf(node({ userAgentName: 'gRPC Java' }))).toEqual({ family: 'grpc-java', version: '' });
  });

  it('drops the C-core prefix with all the space after it, keeping the wrapping release', () => {
    expect(clientOf(named('gRPC C-core linux Python', 'C-core  29.0.0 Python 1.51.1'))).toEqual({
      family: 'c-core',
      version: '29.0.0 Python 1.51.1',
    });
  });
});
