// Registry names and references (pure). A reference is `name:version`; catalog keys are
// `<name>.<version>`, which is unambiguous because a name never holds ":" and the KV key keeps
// the version's own dots (the name is split at its first "." only when it has none: see keyOf).
import { OptionError } from '../../kernel/errors/index.js';

const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const VERSION = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export function checkName(name: string, where = 'model name'): string {
  if (!NAME.test(name))
    throw new OptionError(
      `${where} ${JSON.stringify(name)} must match ${NAME.source} (lower-case letters, digits, ".", "_", "-")`,
    );
  return name;
}

export function checkVersion(version: string, where = 'version'): string {
  if (!VERSION.test(version))
    throw new OptionError(`${where} ${JSON.stringify(version)} must match ${VERSION.source}`);
  return version;
}

export interface RegistryRef {
  readonly name: string;
  readonly version: string;
}

/** `fraud:2` -> { name: fraud, version: 2 }; `fraud` alone when `versionOptional`. */
export function parseRef(text: string, versionOptional = false): { name: string; version?: string } {
  const at = text.indexOf(':');
  if (at < 0) {
    if (!versionOptional) throw new OptionError(`${JSON.stringify(text)} is not a reference NAME:VERSION`);
    return { name: checkName(text) };
  }
  return { name: checkName(text.slice(0, at)), version: checkVersion(text.slice(at + 1)) };
}

export const refText = (r: RegistryRef): string => `${r.name}:${r.version}`;

/** The catalog key. Names may hold ".", so listing a model's versions filters on the record's name. */
export const keyOf = (r: RegistryRef): string => `${r.name}.${r.version}`;
