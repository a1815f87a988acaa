import { flagsHelp, parseFlags } from '../../../kernel/cli/flags.js';
import { generateApiKey, hashApiKey } from '../../auth/api-keys.js';
import { APIKEY_FLAGS } from '../options.js';

/** `switchyard apikey`: a new API key and the hash to put in the auth config (the key is not stored). */
export async function run(argv: string[]): Promise<number> {
  if (parseFlags(APIKEY_FLAGS, argv).help) {
    process.stdout.write(
      flagsHelp(APIKEY_FLAGS, 'apikey', 'Prints a new API key and the hash for the auth config.'),
    );
    return 0;
  }
  const key = generateApiKey();
  process.stdout.write(`key:  ${key}\nhash: ${hashApiKey(key)}\n`);
  return 0;
}
