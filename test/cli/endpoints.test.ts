// `switchyard endpoints`: the version's traffic split apart from the per-endpoint LB weight, and
// a version with no endpoint listed as such instead of left out. (The POD column of discovered
// endpoints: test/endpoints/discovery.test.ts, with real pods over NATS.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiFixture, startApi } from '../api/fixture.js';
import { runMain } from '../helpers/cli-in-process.js';

let fx: ApiFixture;
beforeAll(async () => {
  fx = await startApi();
});
afterAll(async () => {
  await fx?.close();
});

const cli = (...args: string[]) => runMain(...args, '--server', fx.url, '--api-key', fx.keys['admin-all']);

describe('switchyard endpoints', () => {
  it('shows SPLIT and LB-WEIGHT apart, and versions without endpoints', async () => {
    const r = await fx.call(
      'POST',
      '/api/v1/policies',
      {
        document: {
          apiVersion: 'switchyard.dev/v1alpha1',
          kind: 'ModelRoute',
          metadata: { name: 'bert' },
          spec: {
            model: 'bert',
            mtls: 'DISABLE',
            versions: [
              {
                name: 'v1',
                weight: 80,
                endpoints: [
                  { address: '127.0.0.1', port: 9001, weight: 3 },
                  { address: '127.0.0.1', port: 9002, weight: 1 },
                ],
              },
              { name: 'v2', weight: 20 },
            ],
          },
        },
      },
      { 'x-api-key': fx.keys['admin-all'] },
    );
    expect(r.status).toBe(201);
    let out = '';
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
      out = (await cli('endpoints')).stdout;
      if (/bert/.test(out)) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(
      /^MODEL\s+VERSION\s+SPLIT\s+POD\s+ADDRESS\s+BACKEND\s+REGION\s+STATE\s+UTIL\s+QUEUE\s+P99 MS\s+LB-WEIGHT\s+SOURCE$/,
    );
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(
        /^bert\s+v1\s+80%\s+-\s+127\.0\.0\.1:9001\s+-\s+-\s+HEALTHY\s+-\s+-\s+-\s+3\s+static$/,
      ),
      expect.stringMatching(
        /^bert\s+v1\s+80%\s+-\s+127\.0\.0\.1:9002\s+-\s+-\s+HEALTHY\s+-\s+-\s+-\s+1\s+static$/,
      ),
      expect.stringMatching(
        /^bert\s+v2\s+20%\s+-\s+<none>\s+-\s+-\s+NO ENDPOINTS\s+-\s+-\s+-\s+-\s+discovered$/,
      ),
    ]);
    const json = JSON.parse((await cli('endpoints', '-o', 'json')).stdout) as {
      endpoints: Array<{ version: string; split: number; empty?: boolean }>;
    };
    expect(json.endpoints.map((e) => [e.version, e.split, !!e.empty])).toEqual([
      ['v1', 80, false],
      ['v1', 80, false],
      ['v2', 20, true],
    ]);
  });
});
