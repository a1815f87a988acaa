// Reads a model repository: <repo>/<model>/<version>/model.onnx (+ optional config.yaml).
// A version's fingerprint (sizes and mtimes of both files) changes when either file does.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface ScannedVersion {
  readonly model: string;
  readonly version: string;
  readonly dir: string;
  readonly fingerprint: string;
}

/** Model and version directory names: also NATS- and URL-safe. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

async function dirs(path: string): Promise<string[]> {
  try {
    const entries = await readdir(path, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory() && NAME_PATTERN.test(e.name)).map((e) => e.name);
  } catch {
    return [];
  }
}

async function fileStamp(path: string): Promise<string | undefined> {
  try {
    const s = await stat(path);
    return s.isFile() ? `${s.size}@${s.mtimeMs}` : undefined;
  } catch {
    return undefined;
  }
}

export async function scanRepository(repo: string): Promise<Map<string, ScannedVersion>> {
  const out = new Map<string, ScannedVersion>();
  for (const model of await dirs(repo)) {
    for (const version of await dirs(join(repo, model))) {
      const dir = join(repo, model, version);
      const onnx = await fileStamp(join(dir, 'model.onnx'));
      if (!onnx) continue;
      const config = (await fileStamp(join(dir, 'config.yaml'))) ?? 'none';
      out.set(`${model}/${version}`, { model, version, dir, fingerprint: `${onnx};${config}` });
    }
  }
  return out;
}
