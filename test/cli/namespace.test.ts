// `-n` against the namespace a file names: a mismatch is an error that names the file and both
// namespaces (exit 2) before anything is sent, never a silent apply elsewhere.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { routeDoc } from '../api/fixture.js';
import { runMain } from '../helpers/cli-in-process.js';

const dir = mkdtempSync(join(tmpdir(), 'sy-ns-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('-n and the namespace in a file', () => {
  it('refuses apply and diff when they differ, naming the file and both namespaces', async () => {
    const file = join(dir, 'resnet.yaml');
    writeFileSync(file, stringify(routeDoc('resnet', 'default')));
    // Nothing listens at this server: the refusal comes before any request.
    for (const cmd of ['apply', 'diff']) {
      const r = await runMain(cmd, '-f', file, '-n', 'staging', '--server', 'http://127.0.0.1:1');
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(
        `switchyard ${cmd}: ${file}: the document says namespace "default" but -n says "staging"; drop -n or make them agree [SY_OPTION_INVALID]\n`,
      );
    }
    const long = await runMain('apply', '-f', file, '--server', 'http://127.0.0.1:1', '--namespace=staging');
    expect(long.code).toBe(2);
  });

  it('goes ahead when they agree (here: on to the unreachable server)', async () => {
    const file = join(dir, 'agree.yaml');
    writeFileSync(file, stringify(routeDoc('agree', 'staging')));
    const r = await runMain('apply', '-f', file, '-n', 'staging', '--server', 'http://127.0.0.1:1');
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/nothing listens at 127\.0\.0\.1:1/);
  });
});
