import { OptionError } from '../../errors/index.js';
import { flagsHelp, parseFlags } from '../flags.js';
import { CONTROL_PLANE_FLAGS } from '../options.js';

export async function run(argv: string[]): Promise<number> {
  const flags = parseFlags(CONTROL_PLANE_FLAGS, argv);
  if (flags.help) {
    process.stdout.write(`usage: switchyard control-plane [options]\n\n${flagsHelp(CONTROL_PLANE_FLAGS)}\n`);
    return 0;
  }
  throw new OptionError('control-plane: not built yet');
}
