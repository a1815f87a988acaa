// `--server` pointed at the wrong place answers with one line that says what is wrong: HTTPS
// spoken to plain HTTP and back, a gRPC (xDS) port, a web server that is not the admin API,
// nothing listening. Real servers on loopback; the CLI runs in-process.

import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer as createHttp, type Server } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MATERIAL_FILES } from '../../kernel/tls/index.js';
import { runMain } from '../helpers/cli-in-process.js';

let dir: string;
let plain: Server;
let tls: Server;
let grpcServer: grpc.Server;
let grpcPort: number;
const port = (s: Server) => (s.address() as { port: number }).port;
const listen = (s: Server) => new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sy-server-'));
  const ca = join(dir, 'ca');
  const kek = join(dir, 'kek');
  expect((await runMain('certs', 'ca', 'init', '--ca-dir', ca, '--kek-file', kek)).code).toBe(0);
  const id = 'spiffe://switchyard.local/ns/default/sa/admin';
  const issued = await runMain(
    'certs',
    'issue',
    '--ca-dir',
    ca,
    '--kek-file',
    kek,
    '--identity',
    id,
    '--dir',
    join(dir, 'tls'),
  );
  expect(issued.code).toBe(0);
  plain = createHttp((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<html>hello</html>');
  });
  tls = createHttps({
    cert: await readFile(join(dir, 'tls', MATERIAL_FILES.certificate)),
    key: await readFile(join(dir, 'tls', MATERIAL_FILES.privateKey)),
  });
  await Promise.all([listen(plain), listen(tls)]);
  grpcServer = new grpc.Server();
  grpcPort = await new Promise<number>((resolve, reject) =>
    grpcServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
});
afterAll(async () => {
  plain?.close();
  tls?.close();
  grpcServer?.forceShutdown();
  rmSync(dir, { recursive: true, force: true });
});

async function status(server: string) {
  const r = await runMain('status', '--server', server);
  expect(r.code).toBe(6);
  expect(r.stdout).toBe('');
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).not.toMatch(/SSL routines|Parse Error|Unexpected token|undefined/);
  return r.stderr;
}

describe('--server mistakes', () => {
  it('http:// against an HTTPS server says to use https://', async () => {
    expect(await status(`http://127.0.0.1:${port(tls)}`)).toMatch(
      new RegExp(
        `127\\.0\\.0\\.1:${port(tls)} closed the connection without an answer: if it serves HTTPS, use --server https://127\\.0\\.0\\.1:${port(tls)} \\[SY_UNAVAILABLE\\]`,
      ),
    );
  });

  it('https:// against a plain HTTP server says to use http://', async () => {
    expect(await status(`https://127.0.0.1:${port(plain)}`)).toMatch(
      new RegExp(
        `does not speak TLS: if it serves plain HTTP, use --server http://127\\.0\\.0\\.1:${port(plain)}`,
      ),
    );
  });

  it('a gRPC port or another web server is not the admin API', async () => {
    expect(await status(`http://127.0.0.1:${grpcPort}`)).toMatch(
      /did not answer in HTTP\/1\.1, so it is not the admin API \(a gRPC or xDS port\?\)/,
    );
    expect(await status(`http://127.0.0.1:${port(plain)}`)).toMatch(
      /answered HTTP 200 with text\/html, not the admin API's JSON/,
    );
  });

  it('nothing listening says so', async () => {
    expect(await status('http://127.0.0.1:1')).toMatch(/nothing listens at 127\.0\.0\.1:1 /);
  });
});
