import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { NodeSchema } from '../../../protos/gen/envoy/config/core/v3/base_pb.js';
import { POD_SERVER_GROUP } from '../../translate/node-role.js';
import { defaultGroupOf, nodeFlavor, nodeRole } from './node-flavor.js';

const envoy = (metadata?: Record<string, unknown>) =>
  create(NodeSchema, {
    id: 'n',
    userAgentName: 'envoy',
    ...(metadata ? { metadata: metadata as never } : {}),
  });

describe('node roles', () => {
  it('reads the role an Envoy node announces, and never opens a proxy on a mistyped one', () => {
    expect(nodeRole(envoy())).toBe('gateway');
    expect(nodeRole(undefined)).toBe('gateway');
    expect(nodeRole(envoy({ 'switchyard.role': 'gateway' }))).toBe('gateway');
    expect(nodeRole(envoy({ 'switchyard.role': 'sidecar' }))).toBe('sidecar');
    expect(nodeRole(envoy({ 'switchyard.role': 'side-car' }))).toBe('sidecar');
    expect(nodeRole(envoy({ 'switchyard.role': 1 }))).toBe('sidecar');
  });

  it('puts a sidecar in envoy+sidecar, and ignores the role of proxyless clients', () => {
    expect(defaultGroupOf(envoy())).toBe('envoy');
    expect(defaultGroupOf(envoy({ 'switchyard.role': 'sidecar' }))).toBe('envoy+sidecar');
    const grpc = create(NodeSchema, {
      userAgentName: 'gRPC Node Pure JS',
      userAgentVersionType: { case: 'userAgentVersion', value: '1.14.1' },
      metadata: { 'switchyard.role': 'sidecar' },
    });
    expect(defaultGroupOf(grpc)).toBe('grpc');
  });

  it("puts a proxyless node with role pod in the pods' server group; an Envoy with it stays a sidecar", () => {
    const pod = create(NodeSchema, {
      userAgentName: 'gRPC Node Pure JS',
      userAgentVersionType: { case: 'userAgentVersion', value: '1.14.1' },
      metadata: { 'switchyard.role': 'pod' },
    });
    expect(defaultGroupOf(pod)).toBe(POD_SERVER_GROUP);
    expect(defaultGroupOf(envoy({ 'switchyard.role': 'pod' }))).toBe('envoy+sidecar');
  });
});

describe('node flavors', () => {
  const agent = (userAgentName: string, metadata?: Record<string, unknown>) =>
    create(NodeSchema, { userAgentName, ...(metadata ? { metadata: metadata as never } : {}) });

  it('reads the flavor from the user agent: Envoy first, then gRPC, else Envoy', () => {
    expect(nodeFlavor(agent('envoy'))).toBe('envoy');
    expect(nodeFlavor(agent('gRPC Node Pure JS'))).toBe('grpc');
    expect(nodeFlavor(agent('Envoy with gRPC-JSON transcoding'))).toBe('envoy');
    expect(nodeFlavor(agent('gRPC Go (envoy-compatible)'))).toBe('grpc');
    expect(nodeFlavor(agent('curl'))).toBe('envoy');
    expect(nodeFlavor(undefined)).toBe('envoy');
  });

  it('lets switchyard.flavor metadata override the user agent, and ignores any other value', () => {
    expect(nodeFlavor(agent('envoy', { 'switchyard.flavor': 'grpc' }))).toBe('grpc');
    expect(nodeFlavor(agent('gRPC Go', { 'switchyard.flavor': 'envoy' }))).toBe('envoy');
    expect(nodeFlavor(agent('gRPC Go', { 'switchyard.flavor': 'proxyless' }))).toBe('grpc');
  });

  it('groups a proxyless node that has no metadata at all by its capabilities', () => {
    const grpc = create(NodeSchema, {
      userAgentName: 'gRPC Node Pure JS',
      userAgentVersionType: { case: 'userAgentVersion', value: '1.14.1' },
    });
    expect(grpc.metadata).toBeUndefined();
    expect(defaultGroupOf(grpc)).toBe('grpc');
  });
});
