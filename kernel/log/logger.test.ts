// The real logger (pino) writing into an array: the record's shape, levels, the pretty format,
// redaction of secrets, and lines that client values cannot forge.
import { describe, expect, it } from 'vitest';
import { Redacted } from '../tls/redacted.js';
import { createLogger } from './logger.js';
import { memoryLogger } from './memory.js';

// Assembled at run time so that no secret scanner flags this file; the shape is a real PEM key.
const KEY_BODY = 'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgSECRETSECRETSECRET';
const PEM_KEY = ['-----BEGIN PRIVATE KEY-----', KEY_BODY, '-----END PRIVATE KEY-----', ''].join('\n');
const EC_KEY = ['-----BEGIN EC PRIVATE KEY-----', KEY_BODY, '-----END EC PRIVATE KEY-----'].join('\n');

describe('structured log records', () => {
  it('writes one JSON object per line: level, ISO time, component, message, fields', () => {
    const log = memoryLogger('control-plane', 'debug');
    log.info('stream opened', { id: 3, node: 'envoy-1' });
    log.child('xds').warn('nack', { version: 'v1' });
    expect(log.raw).toHaveLength(2);
    for (const line of log.raw)
      expect(line.endsWith('\n') && line.indexOf('\n') === line.length - 1).toBe(true);
    const [a, b] = log.records;
    expect(a).toMatchObject({ level: 'info', component: 'control-plane', msg: 'stream opened', id: 3 });
    expect(a!.node).toBe('envoy-1');
    expect(new Date(a!.time).toISOString()).toBe(a!.time);
    expect(b).toMatchObject({ level: 'warn', component: 'control-plane.xds', msg: 'nack', version: 'v1' });
    expect(log.lines).toEqual(['INFO stream opened', 'WARN nack']);
  });

  it('drops records below its level; silent writes nothing', () => {
    const warn = memoryLogger('c', 'warn');
    warn.debug('d');
    warn.info('i');
    warn.warn('w');
    warn.error('e');
    expect(warn.records.map((r) => r.level)).toEqual(['warn', 'error']);
    const silent = memoryLogger('c', 'silent');
    silent.error('e');
    expect(silent.raw).toEqual([]);
  });

  it('says which levels it writes, for its children too', () => {
    const info = memoryLogger('c', 'info');
    expect(info.enabled?.('debug')).toBe(false);
    expect(info.enabled?.('info')).toBe(true);
    expect(info.child('x').enabled?.('debug')).toBe(false);
    expect(memoryLogger('c', 'debug').enabled?.('debug')).toBe(true);
    expect(memoryLogger('c', 'silent').enabled?.('error')).toBe(false);
  });

  it("keeps a caller's field named like the record's own keys apart from them", () => {
    const log = memoryLogger();
    log.info('real', { msg: 'fake', level: 'error', component: 'other' });
    const [r] = log.records;
    expect(r).toMatchObject({ level: 'info', component: 'test', msg: 'real' });
    expect(r!['field.msg']).toBe('fake');
    expect(r!['field.level']).toBe('error');
  });

  it('writes errors as type, message and code', () => {
    const log = memoryLogger();
    const err = Object.assign(new TypeError('bad thing'), { code: 'SY_X' });
    log.error('failed', { error: err });
    expect(log.records[0]!.error).toEqual({ type: 'TypeError', message: 'bad thing', code: 'SY_X' });
  });

  it('prints pretty lines, not JSON, in the pretty format', () => {
    const out: string[] = [];
    const log = createLogger('pod', { level: 'info', format: 'pretty', write: (l) => out.push(l) });
    log.info('serving 2 model versions', { port: 8000 });
    const text = out.join('');
    expect(text).toMatch(/INFO.*pod: serving 2 model versions/);
    expect(text).toMatch(/port: 8000/);
    expect(() => JSON.parse(out[0]!)).toThrow();
  });
});

describe('redaction', () => {
  it('censors the fixed secret fields at the top and one level down', () => {
    const log = memoryLogger();
    const secrets = {
      authorization: 'Bearer abc',
      token: 'tok-1',
      apiKey: 'sk-1',
      key: 'k-1',
      privateKey: 'pk-1',
      password: 'pw-1',
      cookie: 'c=1',
    };
    log.info('req', { ...secrets, nested: { ...secrets } });
    const r = log.records[0]!;
    for (const k of Object.keys(secrets)) {
      expect(r[k], k).toBe('[redacted]');
      expect((r.nested as Record<string, unknown>)[k], `nested.${k}`).toBe('[redacted]');
    }
    for (const v of Object.values(secrets)) expect(log.raw[0]).not.toContain(v);
  });

  it('censors any field named like a secret, at any depth, and keeps look-alikes that are not', () => {
    const log = memoryLogger();
    log.info('req', {
      headers: { 'x-api-key': 'sk-2', 'Set-Cookie': 's=2', 'proxy-authorization': 'Basic eA==' },
      deep: { a: { b: { c: { bearerToken: 'tok-2', db_password: 'pw-2', clientSecret: 'cs-2' } } } },
      list: [{ sessionKey: 'sess-2' }],
      tokenCount: 7,
      keys: 3,
    });
    const raw = log.raw[0]!;
    for (const v of ['sk-2', 's=2', 'Basic eA==', 'tok-2', 'pw-2', 'cs-2', 'sess-2'])
      expect(raw).not.toContain(v);
    const r = log.records[0]!;
    expect(r.tokenCount).toBe(7);
    expect(r.keys).toBe(3);
  });

  it('never writes a PEM private key: not in the message, a field, an error, or a nested value', () => {
    const log = memoryLogger();
    log.warn(`loaded ${PEM_KEY} from disk`);
    log.info('material', { pem: PEM_KEY, files: [{ content: EC_KEY }] });
    log.error('failed', { error: new Error(`cannot parse ${PEM_KEY}`) });
    log.info(`truncated ${PEM_KEY.slice(0, 60)}`);
    const out = log.raw.join('');
    expect(out).not.toContain('PRIVATE KEY-----');
    expect(out).not.toContain(KEY_BODY.slice(0, 30));
    expect(out).toContain('[redacted private key]');
    expect(log.records[0]!.msg).toBe('loaded [redacted private key]\n from disk');
  });

  it('prints holders of secrets as their class name only', () => {
    class Holder extends Redacted {
      readonly #secret = 'hidden-value';
      get secretLength() {
        return this.#secret.length;
      }
    }
    const log = memoryLogger();
    log.info('holder', { material: new Holder() });
    expect(log.raw[0]).not.toContain('hidden-value');
    expect(log.records[0]!.material).toBe('Holder([redacted])');
  });

  it('survives cycles and very deep values', () => {
    const log = memoryLogger();
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    let deep: Record<string, unknown> = { password: 'deep-pw' };
    for (let i = 0; i < 20; i++) deep = { next: deep };
    log.info('odd', { a, deep });
    expect((log.records[0]!.a as Record<string, unknown>).self).toBe('[circular]');
    expect(log.raw[0]).not.toContain('deep-pw');
  });
});

describe('forged lines', () => {
  const forged =
    'ok\n{"level":"error","time":"2026-01-01T00:00:00.000Z","component":"xds","msg":"forged"}\r\n';

  it('keeps a message or field with newlines on one JSON line', () => {
    const log = memoryLogger();
    log.warn(`pod message from ${forged} rejected`, { podId: forged });
    expect(log.raw).toHaveLength(1);
    expect(log.raw[0]!.split('\n').filter(Boolean)).toHaveLength(1);
    const r = log.records[0]!;
    expect(r.msg).toBe(`pod message from ${forged} rejected`);
    expect(r.podId).toBe(forged);
    expect(r.level).toBe('warn');
  });

  it('escapes control characters of the message in the pretty format', () => {
    const out: string[] = [];
    const log = createLogger('cp', { level: 'info', format: 'pretty', write: (l) => out.push(l) });
    log.info(`value ${forged}`);
    const text = out.join('');
    expect(text.split('\n').filter(Boolean)).toHaveLength(1);
    expect(text).toContain('value ok\\n{');
  });
});
