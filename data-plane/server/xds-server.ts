// The pod's gRPC port as an xDS-managed server (gRFC A36; docs/ACCESS.md, "Pods as xDS-managed
// servers"): grpc-js-xds's XdsServer asks the control plane for the Listener named after the
// address it binds, and takes from it the inbound mTLS mode (a DownstreamTlsContext over the
// certificate providers of the bootstrap built here, gRFC A29) and who may call (the RBAC filter,
// gRFC A41). It listens only once that Listener arrived; a changed one applies to new
// connections at once, and open connections get a GOAWAY and `drainGraceMs` to finish.
import * as grpc from '@grpc/grpc-js';
import {
  listeningAddress,
  POD_SERVER_LISTENER_TEMPLATE,
  XDS_POD_ROLE,
  XDS_ROLE_KEY,
} from '../../kernel/contract/xds-pod.js';
import { OptionError } from '../../kernel/errors/index.js';
import type { Logger } from '../../kernel/log/index.js';
import { fileWatcherProviderConfig } from '../../kernel/tls/index.js';
import type { GrpcFront } from './grpc-front.js';

export interface PodXdsOptions {
  /** `host:port` of the control plane's plaintext xDS port (grpc-js-xds 1.14 has no TLS to it). */
  readonly server: string;
  /** `certs agent` directory behind the certificate provider `default` (STRICT listeners need it). */
  readonly certsDir?: string;
  /** How long connections under a replaced Listener may finish their calls. */
  readonly drainGraceMs: number;
}

/** The instance name the control plane's DownstreamTlsContext names (translate options' default). */
export const POD_CERTIFICATE_PROVIDER = 'default';
const BOOTSTRAP_OPTION = 'grpc.TEST_ONLY_DO_NOT_USE_IN_PROD.xds_bootstrap_config';
const RBAC_SWITCH = 'GRPC_XDS_EXPERIMENTAL_RBAC';
const IPV4 = /^(\d{1,3})(\.\d{1,3}){3}$/;

export interface PodNode {
  readonly id: string;
  readonly region: string;
  readonly zone: string;
}

/** The pod's own xDS bootstrap (one per server, passed as a channel option, so none is global). */
export function podXdsBootstrap(opts: PodXdsOptions, node: PodNode): string {
  return JSON.stringify({
    xds_servers: [
      {
        server_uri: opts.server,
        channel_creds: [{ type: 'insecure' }],
        // Fail static: a Listener the control plane stops sending (restarted before the pod
        // re-registered, the pod aged out of its table) keeps serving with its last rules.
        server_features: ['xds_v3', 'ignore_resource_deletion'],
      },
    ],
    node: {
      id: node.id,
      cluster: 'switchyard-pods',
      locality: { region: node.region, zone: node.zone },
      metadata: { [XDS_ROLE_KEY]: XDS_POD_ROLE },
    },
    certificate_providers: opts.certsDir
      ? { [POD_CERTIFICATE_PROVIDER]: fileWatcherProviderConfig(opts.certsDir, 1) }
      : {},
    server_listener_resource_name_template: POD_SERVER_LISTENER_TEMPLATE,
  });
}

type GrpcXds = typeof import('@grpc/grpc-js-xds');

/**
 * grpc-js-xds with its RBAC filter: the filter is behind an environment switch the library reads
 * once, when it loads, so it is set before the first import. Set to anything else by the
 * operator, Listeners with identity rules are NACKed and the pod does not serve: closed, not open.
 */
async function loadGrpcXds(log: Logger): Promise<GrpcXds> {
  if (process.env[RBAC_SWITCH] === undefined) process.env[RBAC_SWITCH] = 'true';
  else if (process.env[RBAC_SWITCH] !== 'true')
    log.warn(`${RBAC_SWITCH} is not "true": Listeners with identity rules will be refused`);
  const mod = (await import('@grpc/grpc-js-xds')) as GrpcXds & { default?: GrpcXds };
  const xds = mod.default ?? mod;
  xds.register();
  return xds;
}

export class XdsGrpcFront {
  serving = false;

  private constructor(
    private readonly xds: GrpcXds,
    private readonly opts: PodXdsOptions,
    private readonly node: PodNode,
    private readonly log: Logger,
  ) {}

  static async create(opts: PodXdsOptions, node: PodNode, log: Logger): Promise<XdsGrpcFront> {
    if (!opts.certsDir)
      log.warn('xDS-managed gRPC without a certificate directory: STRICT Listeners will be refused');
    return new XdsGrpcFront(await loadGrpcXds(log), opts, node, log);
  }

  /** createGrpcServer's factory: an XdsServer with this pod's bootstrap. */
  readonly makeServer = (options: grpc.ServerOptions): grpc.Server =>
    new this.xds.XdsServer({
      ...options,
      [BOOTSTRAP_OPTION]: podXdsBootstrap(this.opts, this.node),
      drainGraceTimeMs: this.opts.drainGraceMs,
    } as grpc.ServerOptions);

  /**
   * Binds `address:port` (the address the control plane knows the pod by, which names its
   * Listener) and returns the port at once: serving starts when the Listener arrives, which needs
   * the pod's registration first. Serving and not-serving transitions are logged.
   */
  async bind(server: GrpcFront, address: string, port: number): Promise<number> {
    if (!IPV4.test(address) && !address.includes(':'))
      throw new OptionError(
        `--xds-server: the pod's advertised address must be an IP (it names the pod's Listener), got ${JSON.stringify(address)}`,
      );
    const bound = port || (await freePort());
    const target = listeningAddress(address, bound);
    const xdsServer = server as InstanceType<GrpcXds['XdsServer']>;
    xdsServer.bindAsync(
      target,
      new this.xds.XdsServerCredentials(grpc.ServerCredentials.createInsecure()),
      () => {},
    );
    xdsServer.addServingStateListener(target, (st) => {
      const now = st.code === grpc.status.OK;
      if (now === this.serving) return;
      this.serving = now;
      if (now) this.log.info('xDS-managed gRPC: serving', { listener: target });
      else this.log.warn('xDS-managed gRPC: not serving', { listener: target, reason: st.details });
    });
    this.log.info('xDS-managed gRPC: waiting for its Listener', { listener: target, xds: this.opts.server });
    return bound;
  }
}

/** XdsServer needs a port up front (its Listener is named after it): one the system has free now. */
async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
