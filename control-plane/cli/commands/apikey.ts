import { flagsHelp, parseFlags } from '../../../kernel/cli/flags.js';
import { OptionError } from '../../../kernel/errors/errors.js';
import { generateApiKey, hashApiKey } from '../../auth/api-keys.js';
import { APIKEY_CREATE_FLAGS, APIKEY_FLAGS } from '../options.js';

/** The tenant syntax of spec.access (control-plane/policy/access.ts). */
const TENANT = /^[A-Za-z0-9]([A-Za-z0-9._:@/-]*[A-Za-z0-9])?$/;

/**
 * `switchyard apikey`: a new API key and the hash to put in the auth config (the key is not
 * stored). `switchyard apikey create --tenant T`: a key for inference, with the apiKeys entry of
 * a ModelRoute's spec.access; the key is printed once and kept nowhere.
 */
export async function run(argv: string[]): Promise<number> {
  if (argv[0] === 'create') return create(argv.slice(1));
  if (parseFlags(APIKEY_FLAGS, argv).help) {
    process.stdout.write(
      flagsHelp(
        APIKEY_FLAGS,
        'apikey | apikey create --tenant T [--name N]',
        'Prints a new API key and the hash for the auth config; `apikey create` makes an inference key for spec.access.apiKeys.',
      ),
    );
    return 0;
  }
  const key = generateApiKey();
  process.stdout.write(`key:  ${key}\nhash: ${hashApiKey(key)}\n`);
  return 0;
}

function create(argv: string[]): number {
  const flags = parseFlags(APIKEY_CREATE_FLAGS, argv);
  if (flags.help) {
    process.stdout.write(
      flagsHelp(
        APIKEY_CREATE_FLAGS,
        'apikey create --tenant T [--name N]',
        "Prints a new inference API key once, and the entry for a ModelRoute's spec.access.apiKeys.",
      ),
    );
    return 0;
  }
  const tenant = flags.tenant;
  if (tenant.length > 253 || !TENANT.test(tenant))
    throw new OptionError(
      `--tenant: ${JSON.stringify(tenant)} is not a tenant name (letters, digits and ".", "_", ":", "@", "/", "-")`,
    );
  const key = generateApiKey();
  const sha256 = hashApiKey(key).slice('sha256:'.length);
  const name = flags.name ? `, name: ${JSON.stringify(flags.name)}` : '';
  process.stdout.write(
    `key: ${key}\n# the key is shown only now; put this line under spec.access.apiKeys:\n` +
      `- { sha256: ${sha256}, tenant: ${JSON.stringify(tenant)}${name} }\n`,
  );
  return 0;
}
