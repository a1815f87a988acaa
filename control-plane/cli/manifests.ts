// `-f FILE|DIR`: the ModelRoute documents to send, read as YAML (several per file allowed). The
// server validates them; here only YAML syntax is checked, with file and line.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { OptionError, PolicyParseError } from '../../kernel/errors/index.js';
import { documentValue } from '../policy/parse.js';

export interface Manifest {
  readonly source: string;
  readonly document: Record<string, unknown>;
}

function files(path: string): string[] {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch {
    throw new OptionError(`-f ${path}: no such file or directory`);
  }
  if (!st.isDirectory()) return [path];
  return readdirSync(path)
    .filter((f) => /\.ya?ml$/i.test(f) && !f.startsWith('.'))
    .sort()
    .map((f) => join(path, f));
}

export function readManifests(paths: readonly string[]): Manifest[] {
  if (paths.length === 0) throw new OptionError('-f FILE|DIR is required');
  const out: Manifest[] = [];
  for (const file of paths.flatMap(files)) {
    const lines = new LineCounter();
    const docs = parseAllDocuments(readFileSync(file, 'utf8'), { lineCounter: lines });
    for (const d of Array.isArray(docs) ? docs : []) {
      const err = d.errors[0];
      if (err) {
        const { line, col } = lines.linePos(err.pos[0]);
        throw new PolicyParseError(file, `line ${line}:${col}: ${err.message}`);
      }
      const value = documentValue(d, file);
      if (value === null || value === undefined) continue;
      if (typeof value !== 'object' || Array.isArray(value))
        throw new PolicyParseError(file, 'a document is not a mapping');
      out.push({ source: file, document: value as Record<string, unknown> });
    }
  }
  return out;
}

/**
 * Namespaces as kubectl treats them: a document without one goes to the command's namespace; a
 * document whose namespace differs from an explicit -n is refused (exit 2), never moved silently.
 */
export function inNamespace(
  manifests: readonly Manifest[],
  namespace: string,
  explicit: boolean,
): Manifest[] {
  return manifests.map((m) => {
    const meta = (m.document.metadata ?? {}) as Record<string, unknown>;
    const own = meta.namespace;
    if (own === undefined || own === null || own === '')
      return { ...m, document: { ...m.document, metadata: { ...meta, namespace } } };
    if (explicit && own !== namespace)
      throw new OptionError(
        `${m.source}: the document says namespace ${JSON.stringify(own)} but -n says ${JSON.stringify(namespace)}; drop -n or make them agree`,
      );
    return m;
  });
}

export function manifestId(m: Manifest): string {
  const meta = (m.document.metadata ?? {}) as { namespace?: string; name?: string };
  return `${meta.namespace ?? 'default'}/${meta.name ?? '?'}`;
}
