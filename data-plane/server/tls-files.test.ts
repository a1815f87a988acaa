import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TlsMaterialError } from '../errors.js';
import { TlsFiles } from './tls-files.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tlsDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sy-tls-files-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('TlsFiles', () => {
  it('refuses a directory whose certificate file holds no certificate, with a named error', () => {
    const dir = tlsDir({
      'certificate.pem': 'not a PEM block\n',
      'private_key.pem': 'neither\n',
      'ca_certificate.pem': 'nor this\n',
    });
    let caught: unknown;
    try {
      TlsFiles.load(dir);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(TlsMaterialError);
    expect(caught).toMatchObject({
      code: 'SY_TLS_MATERIAL_INVALID',
      message: 'certificate.pem holds no certificate',
    });
  });
});
