// `switchyard certs <ca|token|issue|serve|agent>`: operating the built-in CA from a shell.
//   certs ca init|show|prepare|activate|rotate|drop   the CA in --ca-dir, keys sealed by the KEK
//   certs token --identity ID                          a one-time bootstrap token (printed once)
//   certs issue --identity ID --dir DIR                sign locally, write the agent's file layout
//   certs serve                                        the standalone HTTPS CSR endpoint
//   certs agent --identity ID --dir DIR --server URL   keep a workload's files fresh
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type FlagSpecs, flagsHelp, parseFlags } from '../../../kernel/cli/flags.js';
import { OptionError } from '../../../kernel/errors/index.js';
import { createLogger } from '../../../kernel/log/index.js';
import { fileWatcherProviderConfig } from '../../../kernel/tls/index.js';
import {
  BootstrapTokens,
  CertAgent,
  FileTokenStore,
  initFileCa,
  issueLocally,
  JetStreamTokenStore,
  JsonLinesAuditSink,
  KeyEncryptionKey,
  openCaBucket,
  openFileCa,
  openTokenBucket,
  readBucketTrustDomain,
  readCaTrustDomain,
  readOperatorKey,
  startCsrServer,
  WorkloadIssuer,
  writeMaterial,
} from '../../pki/index.js';
import { connectNats } from '../../store/nats-connection.js';
import {
  CERTS_AGENT_FLAGS,
  CERTS_CA_FLAGS,
  CERTS_CA_INIT_FLAGS,
  CERTS_ISSUE_FLAGS,
  CERTS_SERVE_FLAGS,
  CERTS_TOKEN_FLAGS,
} from '../certs-options.js';

const USAGE = `usage: switchyard certs <command> [options]

commands:
  ca init          create a CA (built-in root + intermediate, or --operator-chain/--operator-key)
  ca show          print generations and the trust bundle's roots (--bundle: the bundle's PEM)
  ca prepare       add a new generation whose root is trusted but does not sign yet
  ca activate      make the prepared generation sign; the old one is retired
  ca rotate        prepare and activate at once
  ca drop          remove a retired generation (--generation ID or root fingerprint)
  token            create a one-time bootstrap token for --identity
  issue            sign a certificate locally and write it to --dir
  serve            run the HTTPS CSR endpoint
  agent            obtain, renew and rotate a workload's certificate files
`;

const CA_USAGE = `usage: switchyard certs ca <init|show|prepare|activate|rotate|drop> [options]

${USAGE.split('\n')
  .filter((l) => l.startsWith('  ca '))
  .join('\n')}

Each takes --help.
`;

const CA_STEPS = ['show', 'prepare', 'activate', 'rotate', 'drop'];
const out = (line: string) => process.stdout.write(`${line}\n`);
const tokenDir = (caDir: string) => join(caDir, 'tokens');

function help(name: string, specs: FlagSpecs): number {
  process.stdout.write(flagsHelp(specs, `certs ${name} [options]`));
  return 0;
}

function kekFor(file: string | undefined): KeyEncryptionKey {
  return KeyEncryptionKey.fromEnvironment(process.env, file);
}

async function caInit(argv: string[]): Promise<number> {
  const f = parseFlags(CERTS_CA_INIT_FLAGS, argv);
  if (f.help) return help('ca init', CERTS_CA_INIT_FLAGS);
  if (f['kek-file'] && !existsSync(f['kek-file'])) {
    KeyEncryptionKey.createKeyFile(f['kek-file']);
    out(`created key-encryption key ${f['kek-file']} (keep it apart from ${f['ca-dir']})`);
  }
  const kek = kekFor(f['kek-file']);
  if (Boolean(f['operator-chain']) !== Boolean(f['operator-key']))
    throw new OptionError('--operator-chain and --operator-key go together');
  const operator = f['operator-chain']
    ? {
        chainPem: readFileSync(f['operator-chain'], 'utf8'),
        keyPkcs8: await readOperatorKey(readFileSync(f['operator-key']!, 'utf8'), kek),
      }
    : undefined;
  const ca = await initFileCa(f['ca-dir'], kek, f['trust-domain'], operator ? { operator } : {});
  out(`CA for trust domain ${ca.trustDomain} in ${f['ca-dir']}, generation ${ca.activeGeneration().id}`);
  return 0;
}

async function caStep(step: string, argv: string[]): Promise<number> {
  const f = parseFlags(CERTS_CA_FLAGS, argv);
  if (f.help) return help(`ca ${step}`, CERTS_CA_FLAGS);
  if (!CA_STEPS.includes(step))
    throw new OptionError(`unknown ca command ${JSON.stringify(step)}\n\n${USAGE}`);
  if (step === 'drop' && !f.generation) throw new OptionError('ca drop needs --generation');
  if (f.bundle && step !== 'show') throw new OptionError('--bundle goes with ca show');
  const ca = await openFileCa(f['ca-dir'], kekFor(f['kek-file']));
  if (f.bundle) {
    // Only the PEM, so it can be piped into a file that clients trust.
    process.stdout.write(ca.trustBundle().pem);
    return 0;
  }
  switch (step) {
    case 'show':
      break;
    case 'prepare':
      out(`prepared ${await ca.prepareRotation()}`);
      break;
    case 'activate':
      out(`activated ${await ca.activatePrepared()}`);
      break;
    case 'rotate':
      out(`rotated to ${await ca.rotate()}`);
      break;
    case 'drop':
      out(`dropped ${await ca.dropGeneration(f.generation!)}`);
      break;
  }
  out(`trust domain ${ca.trustDomain}, bundle ${ca.trustBundle().version}`);
  for (const g of ca.generations()) out(`  ${g.id.padEnd(28)} ${g.state.padEnd(9)} ${g.record.source}`);
  for (const r of ca.trustBundle().roots) out(`  root ${r.fingerprint} until ${r.notAfter.toISOString()}`);
  return 0;
}

async function token(argv: string[]): Promise<number> {
  const f = parseFlags(CERTS_TOKEN_FLAGS, argv);
  if (f.help) return help('token', CERTS_TOKEN_FLAGS);
  if (!f.nats === !f['ca-dir']) throw new OptionError('certs token needs --ca-dir or --nats (one of them)');
  const t = f.nats
    ? await jetstreamToken(f.nats, f['store-prefix'], f['nats-user'], f['nats-password'], f.identity, f.ttl)
    : await new BootstrapTokens(
        new FileTokenStore(tokenDir(f['ca-dir']!)),
        await readCaTrustDomain(f['ca-dir']!),
      ).create(f.identity, f.ttl);
  out(t.token);
  process.stderr.write(`token for ${f.identity}, single use, expires ${t.expiresAt.toISOString()}\n`);
  return 0;
}

/** A token in the bucket every replica redeems from (--ca-store jetstream). */
async function jetstreamToken(
  servers: string[],
  prefix: string,
  user: string | undefined,
  pass: string | undefined,
  identity: string,
  ttl: number,
): Promise<{ token: string; expiresAt: Date }> {
  const log = createLogger('certs');
  const nc = await connectNats(
    { servers, name: `switchyard-certs-${process.pid}`, ...(user ? { user, pass: pass ?? '' } : {}) },
    log,
  );
  try {
    const td = await readBucketTrustDomain(await openCaBucket(nc, { prefix, existing: true }));
    const store = new JetStreamTokenStore(await openTokenBucket(nc, { prefix, existing: true }));
    return await new BootstrapTokens(store, td).create(identity, ttl);
  } finally {
    await nc.close();
  }
}

async function issue(argv: string[]): Promise<number> {
  const f = parseFlags(CERTS_ISSUE_FLAGS, argv);
  if (f.help) return help('issue', CERTS_ISSUE_FLAGS);
  const ca = await openFileCa(f['ca-dir'], kekFor(f['kek-file']));
  const issued = await issueLocally(ca, f.identity, { ttlMs: f.ttl });
  await writeMaterial(f.dir, issued.material);
  out(
    `${issued.identity}: serial ${issued.serialNumber}, expires ${issued.notAfter.toISOString()}, in ${f.dir}`,
  );
  return 0;
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}

async function serve(argv: string[]): Promise<number> {
  const f = parseFlags(CERTS_SERVE_FLAGS, argv);
  if (f.help) return help('serve', CERTS_SERVE_FLAGS);
  const ca = await openFileCa(f['ca-dir'], kekFor(f['kek-file']));
  const tokens = new BootstrapTokens(new FileTokenStore(tokenDir(f['ca-dir'])), ca.trustDomain);
  const issuer = new WorkloadIssuer({
    authority: ca,
    tokens,
    audit: new JsonLinesAuditSink(process.stderr),
    ttlMs: f.ttl,
  });
  const srv = await startCsrServer({ authority: ca, issuer, host: f.host, port: f.port });
  out(`CSR endpoint ${srv.url}/api/v1/certificates (trust domain ${ca.trustDomain})`);
  await untilSignal();
  await srv.close();
  return 0;
}

async function agent(argv: string[]): Promise<number> {
  const f = parseFlags(CERTS_AGENT_FLAGS, argv);
  if (f.help) return help('agent', CERTS_AGENT_FLAGS);
  if (f.token && f['token-file']) throw new OptionError('give --token or --token-file, not both');
  const tokenFile = f['token-file'];
  const a = new CertAgent({
    identity: f.identity,
    dir: f.dir,
    server: f.server,
    token: () =>
      f.token ?? (tokenFile && existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : undefined),
    ...(f['ca-file'] ? { bootstrapTrust: readFileSync(f['ca-file'], 'utf8') } : {}),
    ...(f['server-id'].length ? { expectServer: f['server-id'] } : {}),
    bundleRefreshMs: f['bundle-refresh'],
    log: (line) => process.stderr.write(`${line}\n`),
  });
  await a.start();
  const cur = a.current()!;
  out(
    `${a.identity}: serial ${cur.serialNumber}, expires ${cur.expiresAt.toISOString()}, renews ${cur.renewAt.toISOString()}`,
  );
  if (f.once) {
    a.stop();
    out(JSON.stringify(fileWatcherProviderConfig(f.dir)));
    return 0;
  }
  await untilSignal();
  a.stop();
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'ca': {
      const [step, ...flags] = rest;
      if (step === undefined || step === '--help' || step === '-h') {
        process.stdout.write(CA_USAGE);
        return step ? 0 : 2;
      }
      return step === 'init' ? caInit(flags) : caStep(step, flags);
    }
    case 'token':
      return token(rest);
    case 'issue':
      return issue(rest);
    case 'serve':
      return serve(rest);
    case 'agent':
      return agent(rest);
    case undefined:
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return sub ? 0 : 2;
    default:
      throw new OptionError(`unknown certs command ${JSON.stringify(sub)}\n\n${USAGE}`);
  }
}
