// --nats takes a seed list as NATS tools do, on the control plane and on pods: comma-separated,
// repeated, or from $SWITCHYARD_NATS_URL; an entry that is not a URL is named in the error.
// A control plane started on a seed list whose first entry is dead connects through the next.
import { describe, expect, it } from 'vitest';
import { CONTROL_PLANE_FLAGS } from '../../control-plane/cli/options.js';
import { seedList } from '../../control-plane/store/nats-connection.js';
import { POD_FLAGS } from '../../data-plane/cli/options.js';
import { parseFlags } from '../../kernel/cli/flags.js';
import { NatsServer } from '../helpers/nats-server.js';
import { freePort } from '../helpers/ports.js';
import { CliProcess } from '../process/processes.js';

const A = 'nats://10.0.0.1:4222';
const B = 'nats://10.0.0.2:4222';

describe('--nats seed list', () => {
  it('accepts comma-separated and repeated URLs, and the environment, for both commands', () => {
    for (const specs of [CONTROL_PLANE_FLAGS, POD_FLAGS] as const) {
      const extra = specs === POD_FLAGS ? ['--model-repo', '/tmp'] : [];
      expect(parseFlags(specs, [...extra, '--nats', `${A},${B}`], {}).nats).toEqual([A, B]);
      expect(parseFlags(specs, [...extra, '--nats', A, '--nats', B], {}).nats).toEqual([A, B]);
      expect(parseFlags(specs, extra, { SWITCHYARD_NATS_URL: `${A}, ${B}` }).nats).toEqual([A, B]);
      expect(parseFlags(specs, extra, {}).nats).toBeUndefined();
    }
  });

  it('names the entry that is not a URL', () => {
    expect(() => parseFlags(CONTROL_PLANE_FLAGS, ['--nats', `${A},not a url`], {})).toThrow(
      '--nats: entry 2 of the list, "not a url", is not a URL (a seed list is comma-separated URLs)',
    );
    expect(() => parseFlags(CONTROL_PLANE_FLAGS, ['--nats', `${A},,${B}`], {})).toThrow(
      /entry 2 of the list, ""/,
    );
    expect(() => parseFlags(CONTROL_PLANE_FLAGS, [], { SWITCHYARD_NATS_URL: 'x' })).toThrow(
      /^\$SWITCHYARD_NATS_URL: entry 1 of the list, "x", is not a URL/,
    );
  });

  it('seedList reads a string and a list alike', () => {
    expect(seedList(`${A},${B}`)).toEqual([A, B]);
    expect(seedList([A, ` ${B} `])).toEqual([A, B]);
  });

  it('a control plane whose first seed is dead connects through the second', async () => {
    const nats = await NatsServer.start();
    const dead = `nats://127.0.0.1:${await freePort()}`;
    const cp = new CliProcess(
      [
        'control-plane',
        '--nats',
        `${dead},${nats.url}`,
        '--xds-port',
        '0',
        '--admin-port',
        '0',
        '--admin-grpc-port',
        '0',
      ],
      { SWITCHYARD_NATS_USER: 'admin', SWITCHYARD_NATS_PASSWORD: nats.credentials().pass },
    );
    try {
      await cp.waitForOutput(/switchyard control-plane ready/, 60_000);
      const admin = /admin=(\d+)/.exec(cp.stdout)![1];
      const r = await fetch(`http://127.0.0.1:${admin}/readyz`);
      const body = (await r.json()) as { checks: Array<{ name: string; detail?: string }> };
      expect(r.status).toBe(200);
      expect(body.checks.find((c) => c.name === 'store')?.detail).toContain(`127.0.0.1:${nats.port}`);
    } finally {
      cp.kill();
      await cp.exited;
      await nats.cleanup();
    }
  }, 90_000);
});
