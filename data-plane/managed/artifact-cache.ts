// The managed pod's cache of decrypted artifacts: <dir>/<model>/<version>/model.onnx (+ the
// config.yaml the assignment carried; model.mapped.onnx + model.weights: the same model with its
// large weights in a file of their own that ONNX Runtime maps instead of copying, written with
// model.onnx, or while the download arrives (incoming-artifact.ts); and model.ort: the session's
// pre-optimized ORT-format file, written by the first load where the version asks for it). A
// file is written under a temporary name and renamed, so a
// crash never leaves a half-written model under the real name. Reuse is checked against a stamp
// written when model.onnx was verified against the assignment's digest: the digest and the
// file's inode, size and change time (ctime, which no user can set back). A file whose stamp
// still matches is the verified one and is not hashed again (hashing 96 MiB costs about 300 ms
// here, more than the session create it would run beside); any other is hashed in full, and
// deleted when it does not match (docs/DATAPLANE.md, "Cold loads").
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ArtifactIntegrityError } from '../../kernel/artifacts/index.js';
import { splitWeights } from '../../kernel/artifacts/mapped-weights.js';
import { IncomingArtifact } from './incoming-artifact.js';

interface FileStamp {
  readonly ino: string;
  readonly size: string;
  readonly ctimeNs: string;
}

interface Stamp {
  readonly digest: string;
  readonly onnx: FileStamp;
  readonly ort?: FileStamp;
  readonly mapped?: { readonly graph: FileStamp; readonly weights: FileStamp };
}

const STAMP = '.verified.json';
const MAPPED = 'model.mapped.onnx';
/** Named in MAPPED's external-data entries, relative to it (ONNX's rule). */
const WEIGHTS = 'model.weights';

async function fileStamp(path: string): Promise<FileStamp | undefined> {
  try {
    const s = await stat(path, { bigint: true });
    return { ino: String(s.ino), size: String(s.size), ctimeNs: String(s.ctimeNs) };
  } catch {
    return undefined;
  }
}

const same = (a: FileStamp | undefined, b: FileStamp | undefined) =>
  a !== undefined && b !== undefined && a.ino === b.ino && a.size === b.size && a.ctimeNs === b.ctimeNs;

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

  private async stamp(model: string, version: string): Promise<Stamp | undefined> {
    try {
      return JSON.parse(await readFile(join(this.versionDir(model, version), STAMP), 'utf8')) as Stamp;
    } catch {
      return undefined;
    }
  }

  private async writeStamp(model: string, version: string, stamp: Stamp): Promise<void> {
    const dir = this.versionDir(model, version);
    const tmp = join(dir, `${STAMP}.${process.pid}.tmp`);
    await writeFile(tmp, JSON.stringify(stamp));
    await rename(tmp, join(dir, STAMP));
  }

  private async stampVerified(model: string, version: string, digest: string): Promise<void> {
    const onnx = await fileStamp(join(this.versionDir(model, version), 'model.onnx'));
    if (onnx) await this.writeStamp(model, version, { digest, onnx });
  }

  /** Is the cached model.onnx the very file verified against `digest` before (its stamp matches)? */
  async trusted(model: string, version: string, digest: string): Promise<boolean> {
    const s = await this.stamp(model, version);
    if (s?.digest !== digest) return false;
    return same(s.onnx, await fileStamp(join(this.versionDir(model, version), 'model.onnx')));
  }

  /** The pre-optimized model.ort when it is the one written from the trusted model.onnx. */
  async optimized(model: string, version: string, digest: string): Promise<string | undefined> {
    if (!(await this.trusted(model, version, digest))) return undefined;
    const s = await this.stamp(model, version);
    const path = join(this.versionDir(model, version), 'model.ort');
    return same(s?.ort, await fileStamp(path)) ? path : undefined;
  }

  /**
   * model.mapped.onnx when it and model.weights are the ones split from the trusted model.onnx
   * (stamped); undefined otherwise (then the session is created from model.onnx).
   */
  async mapped(model: string, version: string, digest: string): Promise<string | undefined> {
    if (!(await this.trusted(model, version, digest))) return undefined;
    const s = await this.stamp(model, version);
    const dir = this.versionDir(model, version);
    const ok =
      same(s?.mapped?.graph, await fileStamp(join(dir, MAPPED))) &&
      same(s?.mapped?.weights, await fileStamp(join(dir, WEIGHTS)));
    return ok ? join(dir, MAPPED) : undefined;
  }

  /**
   * Writes the mapped form of a trusted model.onnx (`plain`: its bytes when at hand) and stamps
   * it; returns its path, or undefined when the model has nothing to map or is not trusted. The
   * weights file a download wrote as it arrived (`incoming`) is kept when it holds what the split
   * of the verified bytes puts there; else it is written again.
   */
  async writeMapped(
    model: string,
    version: string,
    digest: string,
    plain?: Uint8Array,
    incoming?: IncomingArtifact,
  ): Promise<string | undefined> {
    const dir = this.versionDir(model, version);
    const s = await this.stamp(model, version);
    if (s?.digest !== digest || !(await this.trusted(model, version, digest))) return undefined;
    const bytes = plain ?? (await readFile(join(dir, 'model.onnx')));
    const split = splitWeights(bytes, WEIGHTS);
    if (!split) return undefined;
    const tmpW = join(dir, `.${WEIGHTS}.${process.pid}.tmp`);
    const tmpG = join(dir, `.${MAPPED}.${process.pid}.tmp`);
    if (!(incoming?.weightsPath === tmpW && plain && incoming.holds(split, plain))) {
      const fh = await open(tmpW, 'w');
      try {
        for (const c of split.chunks) await fh.write(c.bytes, 0, c.bytes.length, c.offset);
      } finally {
        await fh.close();
      }
    }
    await writeFile(tmpG, split.graph);
    await rename(tmpW, join(dir, WEIGHTS));
    await rename(tmpG, join(dir, MAPPED));
    const graph = await fileStamp(join(dir, MAPPED));
    const weights = await fileStamp(join(dir, WEIGHTS));
    if (!graph || !weights) return undefined;
    await this.writeStamp(model, version, { ...s, mapped: { graph, weights } });
    return join(dir, MAPPED);
  }

  /** Where a load writes the optimized model before adoptOptimized() renames it. */
  optimizedTmp(model: string, version: string): string {
    return join(this.versionDir(model, version), `.model.ort.${process.pid}.tmp`);
  }

  /** Takes the written optimized model into the cache, stamped beside its trusted model.onnx. */
  async adoptOptimized(model: string, version: string, digest: string): Promise<void> {
    const dir = this.versionDir(model, version);
    const s = await this.stamp(model, version);
    if (!(await fileStamp(this.optimizedTmp(model, version)))) return;
    if (s?.digest !== digest) {
      await rm(this.optimizedTmp(model, version), { force: true });
      return;
    }
    await rename(this.optimizedTmp(model, version), join(dir, 'model.ort'));
    const ort = await fileStamp(join(dir, 'model.ort'));
    if (ort) await this.writeStamp(model, version, { ...s, ort });
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
    if (found === digest) return this.stampVerified(model, version, digest);
    await this.remove(model, version);
    throw new ArtifactIntegrityError(`cached file has ${found}, assigned ${digest}`);
  }

  /**
   * Where a download writes model.onnx and the weights file while it arrives (before it is
   * verified), both emptied first; store() takes them as this download's own.
   */
  async incoming(model: string, version: string, sizeBytes: number): Promise<IncomingArtifact> {
    const dir = this.versionDir(model, version);
    await mkdir(dir, { recursive: true });
    return IncomingArtifact.open(
      join(dir, `.model.onnx.${process.pid}.tmp`),
      join(dir, `.${WEIGHTS}.${process.pid}.tmp`),
      sizeBytes,
    );
  }

  /**
   * Writes an artifact verified against `digest` (and its config.yaml, or none); returns the
   * directory. With `incoming`, the download already wrote `plain` to incoming()'s files as it
   * arrived: model.onnx is renamed into place instead of written again, and so is the weights
   * file when it holds what the split puts there.
   */
  async store(
    model: string,
    version: string,
    plain: Uint8Array,
    configYaml: string,
    digest: string,
    incoming?: IncomingArtifact,
  ): Promise<string> {
    const dir = this.versionDir(model, version);
    await mkdir(dir, { recursive: true });
    // A new model.onnx: the old stamp and optimized file describe another.
    await rm(join(dir, STAMP), { force: true });
    await rm(join(dir, 'model.ort'), { force: true });
    await rm(join(dir, MAPPED), { force: true });
    await rm(join(dir, WEIGHTS), { force: true });
    const tmp = join(dir, `.model.onnx.${process.pid}.tmp`);
    // A write that failed while the download ran is not fatal: the file is written again here.
    const written = await incoming?.finish().then(
      () => true,
      () => false,
    );
    if (!(written && incoming?.modelPath === tmp && incoming.complete && incoming.size === plain.length))
      await writeFile(tmp, plain);
    await rename(tmp, join(dir, 'model.onnx'));
    const config = join(dir, 'config.yaml');
    if (configYaml) await writeFile(config, configYaml);
    else await rm(config, { force: true });
    await this.stampVerified(model, version, digest);
    // Without it the session is created from model.onnx: slower, never wrong.
    await this.writeMapped(model, version, digest, plain, incoming).catch(() => undefined);
    return dir;
  }

  async remove(model: string, version: string): Promise<void> {
    await rm(this.versionDir(model, version), { recursive: true, force: true });
  }
}
