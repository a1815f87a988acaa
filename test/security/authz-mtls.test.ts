// The gateway's authorization service where the gateway really reaches it: on the control plane's
// xDS port, over mTLS with a workload certificate of the control plane's CA (the bootstrap cluster
// switchyard-authz). The same server also serves plaintext xDS for proxyless gRPC; there the
// service refuses to answer, so it is no oracle for API keys.
import { createHash } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { type ChannelCredentials, credentials, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientConstructor } from '../../kernel/grpc/service-definition.js';
import {
  Authorization,
  type CheckRequest,
  CheckRequestSchema,
  type CheckResponse,
} from '../../protos/gen/envoy/service/auth/v3/external_auth_pb.js';
import {
  id,
  routeYaml,
  type SecureControlPlane,
  type SecurityCa,
  securityCa,
  startSecureControlPlane,
  xdsConnect,
} from './helpers.js';

const KEY = 'edge-test-key';
const ACCESS = `  access:
    apiKeys: [{ sha256: ${createHash('sha256').update(KEY).digest('hex')}, tenant: acme }]
`;

interface CheckClient {
  check(r: CheckRequest, cb: (e: (Error & { code?: number }) | null, r?: CheckResponse) => void): void;
  close(): void;
}
const Client = clientConstructor(Authorization);

function check(address: string, creds: ChannelCredentials, apiKey: string, options = {}) {
  const c = new Client(address, creds, options) as unknown as CheckClient;
  const req = create(CheckRequestSchema, {
    attributes: {
      contextExtensions: { model: 'resnet' },
      request: { http: { headers: { 'x-api-key': apiKey } } },
    },
  });
  return new Promise<{ res?: CheckResponse; code?: number }>((resolve) =>
    c.check(req, (e, r) => {
      c.close();
      resolve(e ? { code: e.code } : { res: r! });
    }),
  );
}

describe('the authorization service on the mTLS xDS port', () => {
  let sca: SecurityCa;
  let f: SecureControlPlane;

  beforeAll(async () => {
    sca = await securityCa();
    f = await startSecureControlPlane(sca, {
      'resnet.yaml': `${routeYaml('resnet', 'models', 'DISABLE', { v1: [100, 9001] })}${ACCESS}`,
    });
  }, 60_000);
  afterAll(async () => {
    await f?.close();
  });

  it('answers the gateway identity over mTLS: its model own key passes, another is 401', async () => {
    const gw = await sca.material(id('switchyard-system', 'gateway'));
    const { credentials: creds, channelOptions } = xdsConnect(gw);
    const ok = await check(f.xdsAddress, creds!, KEY, channelOptions);
    expect(ok.res?.status?.code).toBe(0);
    const bad = await check(f.xdsAddress, creds!, 'wrong', channelOptions);
    expect(bad.res?.httpResponse.case === 'deniedResponse' && bad.res.httpResponse.value.status?.code).toBe(
      401,
    );
  });

  it('refuses to answer on the plaintext port (PERMISSION_DENIED), however good the key', async () => {
    const r = await check(f.insecureAddress, credentials.createInsecure(), KEY);
    expect(r.code).toBe(status.PERMISSION_DENIED);
  });
});
