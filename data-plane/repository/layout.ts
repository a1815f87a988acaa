// A pod started on a missing or mis-laid-out repository would serve nothing and only say so in a
// warning; a supervisor would count it as up. At start the repository must hold at least one
// <model>/<version>/model.onnx, and the error shows that layout next to what was found.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelRepositoryError } from '../errors.js';
import { scanRepository } from './scan.js';

const EMPTY_HINT = 'or start with --allow-empty-repo to wait for models';

function expected(repo: string): string {
  return `expected ${join(repo, '<model>/<version>/model.onnx')} (e.g. ${join(repo, 'mlp/1/model.onnx')})`;
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

/** `<repo>/model.onnx` or `<repo>/<model>/model.onnx`: a model without its version directory. */
async function flatModel(repo: string): Promise<string | undefined> {
  if (await isFile(join(repo, 'model.onnx'))) return join(repo, 'model.onnx');
  const entries = await readdir(repo, { withFileTypes: true }).catch(() => []);
  for (const e of entries.filter((x) => x.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const file = join(repo, e.name, 'model.onnx');
    if (await isFile(file)) return file;
  }
  return undefined;
}

/** Throws ModelRepositoryError (one line) unless `repo` holds at least one servable version. */
export async function checkRepositoryLayout(repo: string): Promise<void> {
  const st = await stat(repo).catch(() => undefined);
  if (!st) throw new ModelRepositoryError(`model repository ${repo} does not exist; ${expected(repo)}`);
  if (!st.isDirectory())
    throw new ModelRepositoryError(`model repository ${repo} is not a directory; ${expected(repo)}`);
  if ((await scanRepository(repo)).size > 0) return;
  const flat = await flatModel(repo);
  if (flat)
    throw new ModelRepositoryError(
      `model repository ${repo}: ${flat} is not in a version directory; ${expected(repo)}`,
    );
  throw new ModelRepositoryError(
    `model repository ${repo} holds no model versions; ${expected(repo)}, ${EMPTY_HINT}`,
  );
}
