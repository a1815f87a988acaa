// A pod's mTLS (docs/SECURITY.md, "Pods"): its workload certificate from a `certs agent` directory, served on the
// gRPC and HTTP ports in STRICT or PERMISSIVE mode (DISABLE: the pod listens in plaintext as
// before and this is not created). Rotation: the agent swaps the files, TlsFiles notices, and the
// next handshake on either port gets the new certificate and trust bundle; nothing open closes.
import type { Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { ServerCredentials } from '@grpc/grpc-js';
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../../kernel/log/index.js';
import {
  compileAllowList,
  type PeerAllowList,
  parseSpiffeId,
  secureContextOptions,
} from '../../kernel/tls/index.js';
import type { GrpcFront } from './grpc-front.js';
import { type ConnectionVerdict, MtlsListener, type PeerMode } from './mtls-listener.js';
import { TlsFiles } from './tls-files.js';

export type MtlsMode = PeerMode | 'DISABLE';

/** Registration label of a pod that accepts mTLS: PERMISSIVE Envoy clusters use TLS to it. */
export { TLS_MODE_LABEL } from '../../kernel/contract/subjects.js';

export interface PodTlsOptions {
  /** Directory kept by `switchyard certs agent --dir`. */
  readonly dir: string;
  readonly mode: PeerMode;
  /** Client SPIFFE IDs or prefixes ending in "/"; default: the pod's own trust domain. */
  readonly allow?: readonly string[];
  /** Upper bound on noticing a file change that fs.watch missed. */
  readonly reloadMs?: number;
}

type Port = 'grpc' | 'http';

/** A listener the pod closes on its own, before the pod closes (a managed version's port). */
export interface ClosablePort {
  readonly port: number;
  close(): Promise<void>;
}

export class PodTls {
  readonly files: TlsFiles;
  readonly allow: PeerAllowList;
  /** Connections by port and result (mtls, plaintext, anonymous-tls, refused:<reason>). */
  readonly counts = new Map<string, number>();
  private readonly listeners: MtlsListener[] = [];
  private readonly connections?: Counter<'port' | 'result'>;
  private readonly reloads?: Counter;

  constructor(
    readonly opts: PodTlsOptions,
    private readonly log: Logger,
    registry?: Registry,
  ) {
    this.files = TlsFiles.load(opts.dir);
    const own = parseSpiffeId(this.files.current.identity);
    this.allow = compileAllowList(opts.allow?.length ? opts.allow : [`spiffe://${own.trustDomain}/`]);
    if (registry) {
      this.connections = new Counter({
        name: 'switchyard_pod_tls_connections_total',
        help: 'Connections by port and outcome: mtls, plaintext, anonymous-tls (PERMISSIVE) or refused:<reason>',
        labelNames: ['port', 'result'],
        registers: [registry],
      });
      this.reloads = new Counter({
        name: 'switchyard_pod_certificate_reloads_total',
        help: 'Workload certificate or trust bundle changes taken from the agent directory',
        registers: [registry],
      });
    }
    this.files.onChange((t) => {
      this.reloads?.inc();
      for (const l of this.listeners) l.setSecureContext(secureContextOptions(t.material));
      log.info(`tls: certificate generation ${t.generation} for ${t.identity} serves new connections`);
    });
    this.files.watch(opts.reloadMs ?? 1000, (err) => log.warn(`tls: reload skipped: ${err.message}`));
  }

  get identity(): string {
    return this.files.current.identity;
  }

  /** The gRPC server takes admitted connections through a plaintext injector: TLS is done already. */
  listenGrpc(server: GrpcFront, host: string, port: number): Promise<number> {
    const injector = server.createConnectionInjector(ServerCredentials.createInsecure());
    return this.listen('grpc', ['h2'], (c) => injector.injectConnection(c), host, port);
  }

  /** listenGrpc for a port that closes before the pod does (a managed version's own port). */
  openGrpc(server: GrpcFront, host: string, port: number): Promise<ClosablePort> {
    const injector = server.createConnectionInjector(ServerCredentials.createInsecure());
    return this.open('grpc', ['h2'], (c) => injector.injectConnection(c), host, port);
  }

  /** listenHttp for a port that closes before the pod does (a managed version's own port). */
  openHttp(server: HttpServer, host: string, port: number): Promise<ClosablePort> {
    return this.open('http', ['http/1.1'], (c) => server.emit('connection', c), host, port);
  }

  private async open(
    port: Port,
    alpn: string[],
    handoff: (c: Duplex) => void,
    host: string,
    portNumber: number,
  ): Promise<ClosablePort> {
    const l = this.listener(port, alpn, handoff);
    const bound = await l.listen(host, portNumber);
    return {
      port: bound,
      close: () => {
        const i = this.listeners.indexOf(l);
        if (i >= 0) this.listeners.splice(i, 1);
        return l.close();
      },
    };
  }

  listenHttp(server: HttpServer, host: string, port: number): Promise<number> {
    return this.listen('http', ['http/1.1'], (c) => server.emit('connection', c), host, port);
  }

  private listen(
    port: Port,
    alpn: string[],
    handoff: (c: Duplex) => void,
    host: string,
    portNumber: number,
  ): Promise<number> {
    return this.listener(port, alpn, handoff).listen(host, portNumber);
  }

  private listener(port: Port, alpn: string[], handoff: (c: Duplex) => void): MtlsListener {
    const l = new MtlsListener({
      mode: this.opts.mode,
      secure: secureContextOptions(this.files.current.material),
      allow: this.allow,
      alpn,
      handoff,
      onVerdict: (v, remote) => this.record(port, v, remote),
    });
    this.listeners.push(l);
    return l;
  }

  private record(port: Port, v: ConnectionVerdict, remote: string): void {
    const result = v.result === 'refused' ? `refused:${v.reason}` : v.result;
    const key = `${port} ${result}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    this.connections?.inc({ port, result });
    if (v.result === 'refused') this.log.warn(`tls: ${port} connection from ${remote} refused: ${v.detail}`);
  }

  /** Count of connections on `port` with `result` (tests, status). */
  count(port: Port, result: string): number {
    return this.counts.get(`${port} ${result}`) ?? 0;
  }

  async close(): Promise<void> {
    this.files.close();
    await Promise.all(this.listeners.map((l) => l.close()));
  }
}
