// A pod's default id and the address it announces to the control plane.
import { hostname, networkInterfaces } from 'node:os';

export function defaultPodId(): string {
  const host = hostname()
    .replace(/[^A-Za-z0-9_-]/g, '-')
    .slice(0, 40);
  return `${host}-${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
}

/** `host`, or this machine's first external IPv4 address when it listens on every address. */
export function advertised(host: string): string {
  if (host !== '0.0.0.0' && host !== '::') return host;
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return '127.0.0.1';
}
