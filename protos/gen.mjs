#!/usr/bin/env node
// Generates typed protobuf-es code into protos/gen/ (git-ignored) from
//  - Envoy's, xDS's, googleapis' and PGV's protos as the pinned @grpc/grpc-js-xds ships them
//    (linked, never copied into the repository), and
//  - our own protos under protos/api/.
// Only the files listed in ROOTS (and what they import) are compiled: the full envoy-api tree
// imports opencensus/prometheus protos that the package does not ship.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const depsPkg = join(root, 'node_modules/@grpc/grpc-js-xds/deps');
// grpc-js ships the ORCA protos that grpc-js-xds's xDS copy lacks.
const orcaPkg = join(root, 'node_modules/@grpc/grpc-js/proto/xds');
const depsDir = join(here, '.deps');
const genDir = join(here, 'gen');

export const ROOTS = [
  'envoy/service/discovery/v3/ads.proto',
  'envoy/service/discovery/v3/discovery.proto',
  'envoy/service/status/v3/csds.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/config/bootstrap/v3/bootstrap.proto',
  'envoy/extensions/transport_sockets/tls/v3/secret.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/http/fault/v3/fault.proto',
  'envoy/extensions/filters/http/rbac/v3/rbac.proto',
  'envoy/extensions/access_loggers/file/v3/file.proto',
  'envoy/extensions/access_loggers/stream/v3/stream.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  'envoy/extensions/load_balancing_policies/round_robin/v3/round_robin.proto',
  'envoy/extensions/load_balancing_policies/ring_hash/v3/ring_hash.proto',
  'envoy/extensions/load_balancing_policies/wrr_locality/v3/wrr_locality.proto',
  'envoy/extensions/load_balancing_policies/client_side_weighted_round_robin/v3/client_side_weighted_round_robin.proto',
  'envoy/extensions/load_balancing_policies/pick_first/v3/pick_first.proto',
  'envoy/extensions/load_balancing_policies/least_request/v3/least_request.proto',
  'envoy/extensions/resource_monitors/downstream_connections/v3/downstream_connections.proto',
  'envoy/extensions/resource_monitors/fixed_heap/v3/fixed_heap.proto',
  // The gateway's route matcher tree reads request headers with this input.
  'envoy/type/matcher/v3/http_inputs.proto',
  // Inference access at the gateway (docs/ACCESS.md, "At the Envoy gateway") and its tracing.
  'envoy/extensions/filters/http/jwt_authn/v3/config.proto',
  'envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit.proto',
  'envoy/extensions/filters/http/ext_authz/v3/ext_authz.proto',
  'envoy/service/auth/v3/external_auth.proto',
  'envoy/config/trace/v3/opentelemetry.proto',
];

// From the xDS module: a cluster names a custom client-side policy in a TypedStruct (gRFC A52).
export const XDS_ROOTS = ['xds/type/v3/typed_struct.proto'];
// From grpc-js: the load report a pod attaches to each answer for that policy (gRFC A51).
export const ORCA_ROOTS = ['xds/data/orca/v3/orca_load_report.proto'];

// The validate.proto pinned with grpc-js-xds 1.14.1 predates StringRules.ignore_empty
// (field 26, upstream PGV since v0.6.x), which the envoy-api it pins already uses. Compilers
// reject the unknown option, so the build links a copy of PGV with that one field added.
const PGV_PATCH_ANCHOR = /(\n\s*optional bool strict\s*=\s*25[^;]*;)/;
const PGV_PATCH =
  '$1\n\n  // Added at build time by protos/gen.mjs (upstream PGV field 26).\n  optional bool ignore_empty = 26;';

function link(target, path) {
  rmSync(path, { recursive: true, force: true });
  symlinkSync(relative(dirname(path), target), path);
}

function prepareDeps() {
  if (!existsSync(depsPkg)) throw new Error(`missing ${depsPkg}: run npm ci first`);
  mkdirSync(depsDir, { recursive: true });
  link(join(depsPkg, 'envoy-api'), join(depsDir, 'envoy-api'));
  link(join(depsPkg, 'xds'), join(depsDir, 'xds'));
  link(join(depsPkg, 'googleapis'), join(depsDir, 'googleapis'));
  link(orcaPkg, join(depsDir, 'orca'));
  const pgvSrc = readFileSync(join(depsPkg, 'protoc-gen-validate/validate/validate.proto'), 'utf8');
  let pgv = pgvSrc;
  if (!/ignore_empty\s*=\s*26/.test(pgvSrc)) {
    if (!PGV_PATCH_ANCHOR.test(pgvSrc))
      throw new Error('validate.proto: cannot find StringRules.strict to patch');
    pgv = pgvSrc.replace(PGV_PATCH_ANCHOR, PGV_PATCH);
  }
  const pgvDir = join(depsDir, 'protoc-gen-validate/validate');
  rmSync(join(depsDir, 'protoc-gen-validate'), { recursive: true, force: true });
  mkdirSync(pgvDir, { recursive: true });
  writeFileSync(join(pgvDir, 'validate.proto'), pgv);
}

function inputsHash() {
  const h = createHash('sha256');
  h.update(readFileSync(join(root, 'node_modules/@grpc/grpc-js-xds/package.json')));
  h.update(readFileSync(join(root, 'node_modules/@grpc/grpc-js/package.json')));
  h.update(readFileSync(join(root, 'node_modules/@bufbuild/protoc-gen-es/package.json')));
  h.update(readFileSync(fileURLToPath(import.meta.url)));
  h.update(readFileSync(join(here, 'buf.gen.yaml')));
  h.update(readFileSync(join(here, 'buf.yaml')));
  const walk = (d) => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.proto')) h.update(p).update(readFileSync(p));
    }
  };
  walk(join(here, 'api'));
  return h.digest('hex');
}

function main() {
  const force = process.argv.includes('--force');
  const stamp = join(genDir, '.stamp');
  const hash = inputsHash();
  if (!force && existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) return;
  prepareDeps();
  rmSync(genDir, { recursive: true, force: true });
  const args = ['generate', '--template', 'buf.gen.yaml'];
  for (const r of ROOTS) args.push('--path', join('.deps/envoy-api', r));
  for (const r of XDS_ROOTS) args.push('--path', join('.deps/xds', r));
  for (const r of ORCA_ROOTS) args.push('--path', join('.deps/orca', r));
  // buf wants a module's sub-directories, not the module root, as --path.
  for (const d of readdirSync(join(here, 'api')).sort()) args.push('--path', join('api', d));
  const buf = join(root, 'node_modules/.bin/buf');
  const res = spawnSync(buf, args, { cwd: here, stdio: 'inherit' });
  if (res.status !== 0) {
    process.stderr.write(`protos/gen.mjs: buf generate failed (exit ${res.status})\n`);
    process.exit(1);
  }
  writeFileSync(stamp, hash);
  process.stdout.write(`protos: generated ${relative(root, genDir)}/\n`);
}

main();
