// The managed pod's cache of decrypted artifacts: <dir>/<model>/<version>/model.onnx (+ the
// config.yaml the assignment carried). A file is written under a temporary name and renamed, so
// a crash never leaves a half-written model under the real name; a cached file is verified
// against the assignment's digest on every reuse and deleted when it does not match.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256Digest } from '../../kernel/artifacts/index.js';

export class ArtifactCache {
  constructor(readonly dir: string) {}

  /** The directory a version loads from (ModelManager reads model.onnx and config.yaml there). */
  versionDir(model: string, version: string): string {
    return join(this.dir, model, version);
  }

  /** The cached version's directory when its model.onnx has `digest`; a stale file is removed. */
  async lookup(model: string, version: string, digest: string): Promise<string | undefined> {
    const dir = this.versionDir(model, version);
    let bytes: Buffer;
    try {
      bytes = await readFile(join(dir, 'model.onnx'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    if (sha256Digest(bytes) === digest) return dir;
    await this.remove(model, version);
    return undefined;
  }

  /** Writes a verified artifact (and its config.yaml, or none) and returns the directory. */
  async store(model: string, version: string, plain: Uint8Array, configYaml: string): Promise<string> {
    const dir = this.versionDir(model, version);
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `.model.onnx.${process.pid}.tmp`);
    await writeFile(tmp, plain);
    await rename(tmp, join(dir, 'model.onnx'));
    const config = join(dir, 'config.yaml');
    if (configYaml) await writeFile(config, configYaml);
    else await rm(config, { force: true });
    return dir;
  }

  async remove(model: string, version: string): Promise<void> {
    await rm(this.versionDir(model, version), { recursive: true, force: true });
  }
}
