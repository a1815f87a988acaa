// The managed pod's cache of decrypted artifacts: <dir>/<model>/<version>/model.onnx (+ the
// config.yaml the assignment carried). A file is written under a temporary name and renamed, so
// a crash never leaves a half-written model under the real name; a cached file is verified
// against the assignment's digest on every reuse and deleted when it does not match.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ArtifactIntegrityError } from '../../kernel/artifacts/index.js';

export class ArtifactCache {
  constructor(readonly dir: string) {}

  /** The directory a version loads from (ModelManager reads model.onnx and config.yaml there). */
  versionDir(model: string, version: string): string {
    return join(this.dir, model, version);
  }

  /** The cached version's directory when it holds a model.onnx (not yet verified: verify()). */
  async existing(model: string, version: string): Promise<string | undefined> {
    const dir = this.versionDir(model, version);
    try {
      await access(join(dir, 'model.onnx'));
      return dir;
    } catch {
      return undefined;
    }
  }

  /**
   * Resolves when the cached model.onnx has `digest`; otherwise removes the version from the
   * cache and throws ArtifactIntegrityError. Streams the file, so it can run while the session
   * is created from the same file.
   */
  async verify(model: string, version: string, digest: string): Promise<void> {
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(join(this.versionDir(model, version), 'model.onnx'), {
      highWaterMark: 1 << 20,
    }))
      hash.update(chunk as Buffer);
    const found = `sha256:${hash.digest('hex')}`;
    if (found === digest) return;
    await this.remove(model, version);
    throw new ArtifactIntegrityError(`cached file has ${found}, assigned ${digest}`);
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
