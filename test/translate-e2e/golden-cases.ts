// The golden cases under control-plane/translate/testdata, read the same way by the golden
// test and by the suites that feed them to grpc-js-xds's and C-core's own validators. Inputs are
// testdata/in/<case>.yaml; the expected resources are testdata/out/<flavor>/<case>.<type>.yaml.
// A case file holds ModelRoute documents and, optionally, one `kind: GoldenInput` document with
// discovered endpoints and translate options.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { parsePolicyFile } from '../../control-plane/policy/index.js';
import type { EndpointInfo, TranslateInput, TranslateOptions } from '../../control-plane/translate/index.js';

const GOLDEN_DIR = fileURLToPath(new URL('../../control-plane/translate/testdata/', import.meta.url));
export const GOLDEN_IN_DIR = join(GOLDEN_DIR, 'in');
export const GOLDEN_OUT_DIR = join(GOLDEN_DIR, 'out');

/** Where the expected resources of one type for one case and flavor live. */
export function goldenOutFile(name: string, flavor: string, type: string): string {
  return join(GOLDEN_OUT_DIR, flavor, `${name}.${type}.yaml`);
}

export interface GoldenCase {
  readonly name: string;
  readonly input: TranslateInput;
  readonly options?: Partial<TranslateOptions>;
}

interface GoldenInputDoc {
  endpoints?: Record<string, EndpointInfo[]>;
  options?: Partial<TranslateOptions>;
}

export function goldenCaseNames(): string[] {
  return readdirSync(GOLDEN_IN_DIR)
    .filter((f) => /^[a-z0-9-]+\.yaml$/.test(f))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
}

export function readGoldenCase(name: string): GoldenCase {
  const text = readFileSync(join(GOLDEN_IN_DIR, `${name}.yaml`), 'utf8');
  const docs = text.split(/^---\s*$/m);
  const extra = docs.filter((d) => /^kind:\s*GoldenInput\s*$/m.test(d));
  const doc = (extra.length ? parse(extra[0]!) : {}) as GoldenInputDoc;
  const routes = parsePolicyFile(docs.filter((d) => !extra.includes(d)).join('---\n'), `${name}.yaml`);
  const input: TranslateInput = {
    routes,
    endpoints: new Map(Object.entries(doc.endpoints ?? {})),
  };
  return { name, input, ...(doc.options ? { options: doc.options } : {}) };
}
