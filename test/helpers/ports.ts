// Free loopback ports for tests. A port is free once a throwaway listener could bind it, but
// something else may take it before the test's server binds it. Ports the kernel hands out
// itself (listen on port 0, and the local end of every outgoing connection) come from its
// ephemeral range, and a full suite opens thousands of connections: a nats-server once failed
// with "address already in use" on a port picked that way. So ports are picked at random below
// the ephemeral range, which the kernel never hands out on its own, and never twice by one
// process; only another test process picking the same one at the same moment can still collide.
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** The ports picked from: below the kernel's ephemeral range, above the well-known services'. */
export const PICK_RANGE = pickRange();

/** The control plane's default ports (xDS 18000, admin 18080), which a demo may hold. */
const DEFAULTS = { low: 18_000, high: 18_099 };

const handedOut = new Set<number>();

function pickRange(): { low: number; high: number } {
  let ephemeralLow = 32768; // Linux's default
  try {
    ephemeralLow = Number(
      readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0],
    );
  } catch {}
  return ephemeralLow > 12_000 ? { low: 10_000, high: ephemeralLow - 1 } : { low: 0, high: -1 };
}

function canListen(port: number, host: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(undefined));
    srv.listen(port, host, () => {
      const addr = srv.address();
      const got = typeof addr === 'object' && addr ? addr.port : undefined;
      srv.close(() => resolve(got));
    });
  });
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const { low, high } = PICK_RANGE;
  for (let tries = 0; high > low && tries < 100; tries++) {
    const port = randomInt(low, high + 1);
    if (port >= DEFAULTS.low && port <= DEFAULTS.high) continue;
    if (handedOut.has(port) || (await canListen(port, host)) !== port) continue;
    handedOut.add(port);
    return port;
  }
  // No range below the ephemeral one (an unusual kernel setting): the kernel's own pick.
  const port = await canListen(0, host);
  if (!port) throw new Error('no free port assigned');
  return port;
}

/** Several distinct free ports. */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort(host));
  return [...ports];
}
