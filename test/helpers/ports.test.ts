// The test ports helper: ports come from below the kernel's ephemeral range (where nothing the
// kernel picks itself can take them between the pick and the bind), never the control plane's
// defaults, never twice, and each is free when handed out.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort, freePorts, PICK_RANGE } from './ports.js';

function bind(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve()));
  });
}

describe('freePort', () => {
  it('picks distinct ports below the ephemeral range, away from the default ports, each free', async () => {
    const range = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8');
    const ephemeralLow = Number(range.trim().split(/\s+/)[0]);
    expect(PICK_RANGE.high).toBe(ephemeralLow - 1);
    const ports = [...(await freePorts(150)), await freePort()];
    expect(new Set(ports).size).toBe(ports.length);
    for (const p of ports) {
      expect(p).toBeGreaterThanOrEqual(PICK_RANGE.low);
      expect(p).toBeLessThan(ephemeralLow);
      expect(p >= 18_000 && p < 18_100, `${p} is a default port`).toBe(false);
    }
    for (const p of ports.slice(0, 20)) await bind(p);
  });
});
