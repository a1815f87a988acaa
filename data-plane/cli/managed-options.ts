// `switchyard pod --managed`'s options turned into ManagedPodOptions: the cache directory, the
// memory limit, the KEK and the artifact bucket named from the installation's store prefix.
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ParsedFlags } from '../../kernel/cli/flags.js';
import { KeyEncryptionKey } from '../../kernel/crypto/index.js';
import { OptionError } from '../../kernel/errors/index.js';
import { parseMemorySize } from '../managed/memory-size.js';
import type { ManagedPodOptions } from '../pod.js';
import type { POD_FLAGS } from './options.js';

/** The same rule as the control plane's store names: the prefix names buckets and subjects. */
const STORE_PREFIX = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;

export function artifactsBucket(prefix: string): string {
  if (!STORE_PREFIX.test(prefix))
    throw new OptionError(
      `--store-prefix: ${JSON.stringify(prefix)} must be 1-32 letters, digits, "-" or "_" (it names the artifact bucket)`,
    );
  return `${prefix}_artifacts`;
}

const MANAGED_ONLY = ['cache-dir', 'memory-limit', 'kek-file', 'overcommit'] as const;

export function managedOptionsFrom(
  flags: ParsedFlags<typeof POD_FLAGS>,
  env: NodeJS.ProcessEnv = process.env,
): ManagedPodOptions | undefined {
  if (!flags.managed) {
    for (const name of MANAGED_ONLY)
      if (flags[name] !== undefined) throw new OptionError(`--${name} needs --managed`);
    return undefined;
  }
  if (!flags.nats) throw new OptionError('--managed needs --nats (assignments and artifacts come over NATS)');
  const overcommit = flags.overcommit ?? 0;
  if (overcommit < 0 || overcommit > 1000)
    throw new OptionError(`--overcommit: ${overcommit} must be a percent from 0 (off) to 1000`);
  if (overcommit > 0 && !flags['memory-limit'])
    throw new OptionError('--overcommit needs --memory-limit (what loaded versions are kept within)');
  return {
    cacheDir: resolve(flags['cache-dir'] ?? join(tmpdir(), 'switchyard-artifacts')),
    ...(flags['memory-limit']
      ? { memoryLimitBytes: parseMemorySize(flags['memory-limit'], '--memory-limit') }
      : {}),
    ...(overcommit > 0 ? { overcommitPercent: overcommit } : {}),
    bucket: artifactsBucket(flags['store-prefix']),
    kek: KeyEncryptionKey.fromEnvironment(env, flags['kek-file']),
  };
}
