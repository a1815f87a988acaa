import { OptionError } from '../../errors/index.js';
import { parseFlags } from '../flags.js';
import { ADMIN_CLIENT_FLAGS } from '../options.js';

export async function run(argv: string[]): Promise<number> {
  parseFlags(ADMIN_CLIENT_FLAGS, argv);
  throw new OptionError('status: not built yet');
}
