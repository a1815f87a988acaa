import { ControlPlane } from '../../pipeline/control-plane.js';
import { flagsHelp, parseFlags } from '../flags.js';
import { CONTROL_PLANE_FLAGS } from '../options.js';

export async function run(argv: string[]): Promise<number> {
  const flags = parseFlags(CONTROL_PLANE_FLAGS, argv);
  if (flags.help) {
    process.stdout.write(`usage: switchyard control-plane [options]\n\n${flagsHelp(CONTROL_PLANE_FLAGS)}\n`);
    return 0;
  }
  const cp = new ControlPlane({
    ...(flags['policy-dir'] ? { policyDir: flags['policy-dir'] } : {}),
    host: flags.host,
    xdsPort: flags['xds-port'],
    adminPort: flags['admin-port'],
    debounceQuietMs: flags['debounce-quiet'],
    debounceMaxMs: flags['debounce-max'],
    translate: { gatewayPort: flags['gateway-port'] },
  });
  await cp.start();
  // Ready line for scripts and the demo: ports are final (0 picks free ones).
  process.stdout.write(`switchyard control-plane ready xds=${cp.xdsPort} admin=${cp.adminPort}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  cp.log.info('shutting down');
  await cp.stop();
  return 0;
}
