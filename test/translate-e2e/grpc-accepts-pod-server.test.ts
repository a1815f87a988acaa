// The pods' server Listeners of every pod-server golden case go through grpc-js-xds's own
// Listener validator, the code an xDS-managed pod (XdsServer) runs on each update, with the RBAC
// filter switched on as the pod switches it on (server/xds-server.ts).
import '../security/rbac-env.js';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { resolveOptions, translatePodServers } from '../../control-plane/translate/index.js';
import { ListenerSchema } from '../../protos/gen/envoy/config/listener/v3/listener_pb.js';
import { GOLDEN_IN_DIR, readGoldenCase } from './golden-cases.js';

const require = createRequire(import.meta.url);
interface Decoder {
  decode(
    ctx: unknown,
    any: { type_url: string; value: Buffer },
  ): { name: string; error?: string; value?: unknown };
}
const decoder: Decoder =
  require('@grpc/grpc-js-xds/build/src/xds-resource-type/listener-resource-type').ListenerResourceType.get();
require('@grpc/grpc-js-xds').register();

const CASES = readdirSync(join(GOLDEN_IN_DIR, 'pod-server'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => `pod-server/${f.slice(0, -'.yaml'.length)}`)
  .sort();

function decodeAll(name: string, providers: readonly string[]) {
  const { input, options } = readGoldenCase(name);
  const set = translatePodServers(input.routes, input.endpoints, resolveOptions(options));
  const ctx = {
    bootstrap: { certificateProviders: Object.fromEntries(providers.map((p) => [p, {}])) },
    server: {},
  };
  return set.listeners.map((l) =>
    decoder.decode(ctx, {
      type_url: 'type.googleapis.com/envoy.config.listener.v3.Listener',
      value: Buffer.from(toBinary(ListenerSchema, l)),
    }),
  );
}

describe('grpc-js-xds accepts every pod server Listener', () => {
  it('refuses a STRICT Listener whose certificate provider the pod lacks (the harness can fail)', () => {
    const out = decodeAll('pod-server/strict-identities', ['other']);
    expect(out[0]!.error).toMatch(/Unmatched .*instance_name: default/);
  });

  for (const name of CASES) {
    it(name, () => {
      const { options } = readGoldenCase(name);
      const providers = [
        options?.certificateProviderInstance ?? 'default',
        options?.caCertificateProviderInstance ?? 'default',
      ];
      const out = decodeAll(name, providers);
      expect(out.length).toBeGreaterThan(0);
      expect(out.map((r) => r.error ?? 'ok')).toEqual(out.map(() => 'ok'));
      expect(out.every((r) => r.value !== undefined)).toBe(true);
    });
  }
});
