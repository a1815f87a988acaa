// The xDS-managed pod's flag and bootstrap: --xds-server parsed and refused in one place, and
// the bootstrap it builds accepted by grpc-js-xds's own validator with the provider and the
// listener name template the control plane's translation expects.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { parseFlags } from '../../kernel/cli/flags.js';
import { POD_SERVER_LISTENER_TEMPLATE, XDS_POD_ROLE, XDS_ROLE_KEY } from '../../kernel/contract/index.js';
import { POD_FLAGS } from '../cli/options.js';
import { podOptionsFrom } from '../cli/pod.js';
import { POD_CERTIFICATE_PROVIDER, podXdsBootstrap } from './xds-server.js';

const parse = (argv: string[], env: NodeJS.ProcessEnv = {}) =>
  podOptionsFrom(parseFlags(POD_FLAGS, ['--model-repo', '/m', ...argv], env), env);

describe('--xds-server', () => {
  it('is off by default: the pod binds gRPC itself as before', () => {
    expect(parse([]).xds).toBeUndefined();
  });

  it('takes HOST:PORT from the flag or the environment, the certificates from --tls-dir', () => {
    expect(parse(['--xds-server', '10.0.0.5:18001', '--tls-dir', '/certs']).xds).toEqual({
      server: '10.0.0.5:18001',
      certsDir: '/certs',
      drainGraceMs: 30_000,
    });
    expect(parse([], { SWITCHYARD_XDS_SERVER: 'cp.internal:18001' }).xds?.server).toBe('cp.internal:18001');
    expect(parse(['--xds-server', '[::1]:18001']).xds).toMatchObject({ server: '[::1]:18001' });
  });

  it('refuses what is not HOST:PORT, naming the flag', () => {
    for (const bad of ['cp.internal', 'http://cp:18001', 'cp:port', ':18001'])
      expect(() => parse(['--xds-server', bad])).toThrow(/--xds-server: .* is not HOST:PORT/);
    // The Listener is named after the advertised address: it must be an IP.
    expect(() => parse(['--xds-server', 'cp:18001', '--host', 'pod.internal'])).toThrow(
      /--xds-server needs an IP to advertise .*pod.internal/,
    );
    expect(parse(['--xds-server', 'cp:18001', '--host', '0.0.0.0']).xds).toBeDefined();
  });
});

describe('the pod xDS bootstrap', () => {
  const bootstrap = JSON.parse(
    podXdsBootstrap(
      { server: '127.0.0.1:18001', certsDir: '/var/run/certs', drainGraceMs: 1000 },
      { id: 'pod-1', region: 'ae-north', zone: 'a' },
    ),
  );

  it('names the pod role, the listener template and a file_watcher provider over the certs directory', () => {
    expect(bootstrap.node.metadata).toEqual({ [XDS_ROLE_KEY]: XDS_POD_ROLE });
    expect(bootstrap.server_listener_resource_name_template).toBe(POD_SERVER_LISTENER_TEMPLATE);
    // A Listener that disappears from the control plane's answers keeps its last rules.
    expect(bootstrap.xds_servers[0].server_features).toContain('ignore_resource_deletion');
    const provider = bootstrap.certificate_providers[POD_CERTIFICATE_PROVIDER];
    expect(provider.plugin_name).toBe('file_watcher');
    expect(provider.config.certificate_file).toMatch(/^\/var\/run\/certs\//);
  });

  it('passes grpc-js-xds validation', () => {
    const require = createRequire(import.meta.url);
    const { validateBootstrapConfig } = require('@grpc/grpc-js-xds/build/src/xds-bootstrap.js');
    const parsed = validateBootstrapConfig(bootstrap);
    expect(parsed.serverListenerResourceNameTemplate).toBe(POD_SERVER_LISTENER_TEMPLATE);
    expect(Object.keys(parsed.certificateProviders)).toEqual([POD_CERTIFICATE_PROVIDER]);
  });
});
