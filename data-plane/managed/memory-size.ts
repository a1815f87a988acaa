// Memory sizes as operators write them: plain bytes, or a number with a Kubernetes-style unit
// (Ki, Mi, Gi, Ti powers of 1024; k, M, G, T powers of 1000). Pure.
import { OptionError } from '../../kernel/errors/index.js';

const UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

export const SIZE_SYNTAX = 'bytes, or a number with Ki, Mi, Gi, Ti (1024) or k, M, G, T (1000): 512Mi, 2Gi';

/** Bytes of `text`; throws OptionError naming `what` for anything else. */
export function parseMemorySize(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(|k|M|G|T|Ki|Mi|Gi|Ti)$/.exec(text.trim());
  if (!m) throw new OptionError(`${what}: ${JSON.stringify(text)} is not a size (${SIZE_SYNTAX})`);
  const bytes = Math.round(Number(m[1]) * UNITS[m[2]!]!);
  if (!Number.isSafeInteger(bytes) || bytes <= 0)
    throw new OptionError(`${what}: ${JSON.stringify(text)} must be a positive size`);
  return bytes;
}

/** 1.5 GiB, 300.0 MiB, 12 KiB: for log lines and refusal reasons. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}
