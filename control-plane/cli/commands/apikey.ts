import { generateApiKey, hashApiKey } from '../../auth/api-keys.js';

/** `switchyard apikey`: a new API key and the hash to put in the auth config (the key is not stored). */
export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(
      'usage: switchyard apikey\n\nPrints a new API key and the line for the auth config.\n',
    );
    return 0;
  }
  const key = generateApiKey();
  process.stdout.write(`key:  ${key}\nhash: ${hashApiKey(key)}\n`);
  return 0;
}
