// The Node version the README asks for is one every locked dependency accepts: `npm ci` on it
// prints no EBADENGINE warning (two dependencies once wanted Node >= 22 while the README said 20).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

// npm's own range matcher (semver, in the tree through several dependencies).
const semver = createRequire(import.meta.url)('semver') as {
  minVersion(range: string): { version: string } | null;
  satisfies(version: string, range: string): boolean;
};

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('Node engines', () => {
  const pkg = JSON.parse(read('package.json')) as { engines: { node: string } };
  const minimum = semver.minVersion(pkg.engines.node)!.version;

  it('accepts the lowest Node the package declares in every locked package', () => {
    const lock = JSON.parse(read('package-lock.json')) as {
      packages: Record<string, { engines?: { node?: string } | string[] }>;
    };
    const refusing = Object.entries(lock.packages)
      .filter(([, p]) => p.engines && !Array.isArray(p.engines) && p.engines.node)
      .filter(([, p]) => !semver.satisfies(minimum, (p.engines as { node: string }).node))
      .map(([name, p]) => `${name} (${(p.engines as { node: string }).node})`);
    expect(refusing, `these want more than Node ${minimum}`).toEqual([]);
  });

  it('names that Node major in the README', () => {
    expect(read('README.md')).toMatch(new RegExp(`Node ${minimum.split('.')[0]}\\b`));
  });
});
