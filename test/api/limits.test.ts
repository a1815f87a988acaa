// Policy size limits and per-namespace quotas through the admin API on a real nats-server, and
// the event-loop time refusing an oversized policy costs (docs/OPERATIONS.md, "Limits and
// quotas").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLICY_LIMITS } from '../../control-plane/policy/limits.js';
import { loopStall } from '../helpers/loop-stall.js';
import { type ApiFixture, apiKey, routeDoc, startApi } from './fixture.js';

let fx: ApiFixture;
let admin: Record<string, string>;

beforeAll(async () => {
  fx = await startApi({ quotas: { policies: 3, versions: 6, endpoints: 250 } });
  admin = apiKey(fx.keys['admin-all']);
});
afterAll(async () => {
  await fx?.close();
});

const apply = (doc: unknown) => fx.call('POST', '/api/v1/policies', { document: doc }, admin);

/** A policy of `versions` versions with `perVersion` static endpoints each, and match rules. */
function sized(name: string, namespace: string, versions: number, perVersion: number, matchRules = 0) {
  return {
    apiVersion: 'switchyard.dev/v1alpha1',
    kind: 'ModelRoute',
    metadata: { name, namespace },
    spec: {
      model: `${namespace}-${name}`,
      mtls: 'DISABLE',
      versions: Array.from({ length: versions }, (_, i) => ({
        name: `v${i}`,
        weight: 1,
        endpoints: Array.from({ length: perVersion }, (_, j) => ({
          address: `10.${i % 250}.${Math.floor(j / 250)}.${j % 250}`,
          port: 8000 + j,
        })),
      })),
      match: Array.from({ length: matchRules }, (_, k) => ({
        headers: Object.fromEntries(
          Array.from({ length: POLICY_LIMITS.headersPerMatch }, (_, h) => [`x-h${h}`, `c${k}`]),
        ),
        version: 'v0',
      })),
    },
  };
}

/** POSTs an encoded apply body and measures the event loop meanwhile (this process is the server too). */
async function timedApply(body: string) {
  let res: Response | undefined;
  const stall = await loopStall(async () => {
    res = await fetch(`${fx.url}/api/v1/policies`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...admin },
      body,
    });
  });
  return { res: res!, stall };
}

describe('policy limits and namespace quotas', () => {
  it('refuses a policy of 8000 versions with SY_POLICY_INVALID and its path, without stalling the loop', async () => {
    // Encoded before the measurement: this process is the client too.
    const body = JSON.stringify({ document: sized('huge', 'big', 8000, 0) });
    const { res, stall } = await timedApply(body);
    expect(res.status).toBe(422);
    const json = (await res.json()) as { code: string; issues: unknown };
    expect(json.code).toBe('SY_POLICY_INVALID');
    expect(json.issues).toEqual([
      { path: 'spec.versions', message: `has 8000 items; at most ${POLICY_LIMITS.versions} are allowed` },
    ]);
    console.log(
      `refusing 8000 versions: longest stall ${stall.stallMs.toFixed(1)} ms (longest tick: ${stall.cpuMs.toFixed(1)} ms main-thread CPU, ${stall.wallMs.toFixed(1)} ms wall)`,
    );
    // CPU, not wall: the refusal's own work, whatever else ran on the machine meanwhile.
    expect(stall.cpuMs).toBeLessThan(100);
  });

  it('refuses 128 near-ceiling header regexes, each named, without stalling the loop', async () => {
    const doc = sized('regexes', 'big', POLICY_LIMITS.matchRules, 1) as {
      spec: { match: unknown[] };
    };
    doc.spec.match = Array.from({ length: POLICY_LIMITS.matchRules }, (_, k) => ({
      headers: Object.fromEntries(
        Array.from({ length: POLICY_LIMITS.headersPerMatch }, (_, h) => [
          `x-h${h}`,
          { regex: `(a|b|c|d){800}${k}x${h}` },
        ]),
      ),
      version: `v${k}`,
    }));
    const body = JSON.stringify({ document: doc });
    const { res, stall } = await timedApply(body);
    expect(res.status).toBe(422);
    const json = (await res.json()) as { code: string; issues: { path: string; message: string }[] };
    expect(json.code).toBe('SY_POLICY_INVALID');
    expect(json.issues).toHaveLength(POLICY_LIMITS.matchRules * POLICY_LIMITS.headersPerMatch);
    expect(json.issues[0]).toEqual({
      path: 'spec.match[0].headers.x-h0.regex',
      message: expect.stringMatching(
        /^is too complex for Envoy: .* estimated at 8809, over the limit of 100/,
      ),
    });
    console.log(
      `refusing 128 near-ceiling regexes: longest stall ${stall.stallMs.toFixed(1)} ms (longest tick: ${stall.cpuMs.toFixed(1)} ms main-thread CPU, ${stall.wallMs.toFixed(1)} ms wall)`,
    );
    // Compiling each in RE2 held the loop for 1.5 s in all (control-plane/policy/re2.ts).
    expect(stall.cpuMs).toBeLessThan(100);
  });

  it('refuses growth past a namespace quota with SY_QUOTA_EXCEEDED, per namespace', async () => {
    expect((await apply(sized('m', 'big', 4, 62))).status).toBe(201);
    expect((await apply(routeDoc('a', 'big'))).status).toBe(201);
    const versions = await apply(routeDoc('b', 'big'));
    expect(versions.status).toBe(403);
    expect(versions.json.code).toBe('SY_QUOTA_EXCEEDED');
    expect(versions.json.message).toBe(
      'namespace big would hold 8 versions with big/b; its quota is 6 (--quota-versions)',
    );
    // Replacing a policy counts it once, with its new size.
    const endpoints = await apply(sized('m', 'big', 4, 63));
    expect(endpoints.status).toBe(403);
    expect(endpoints.json.message).toBe(
      'namespace big would hold 254 static endpoints with big/m; its quota is 250 (--quota-endpoints)',
    );
    // Shrinking makes room.
    expect((await apply(sized('m', 'big', 2, 64))).status).toBe(200);
    expect((await apply(routeDoc('b', 'big'))).status).toBe(201);
    // Other namespaces have their own quotas.
    for (const n of ['p1', 'p2', 'p3']) expect((await apply(routeDoc(n, 'other'))).status).toBe(201);
    const policies = await apply(routeDoc('p4', 'other'));
    expect(policies.status).toBe(403);
    expect(policies.json.message).toBe(
      'namespace other would hold 4 policies with other/p4; its quota is 3 (--quota-policies)',
    );
  });
});
