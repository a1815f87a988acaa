// The console's server side over HTTP, without a browser, on a real control plane and
// nats-server: the page is public and holds no data, the bundle is served with a strict content
// policy, and the event stream authenticates like the API and cuts each topic to the caller.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiFixture, apiKey, routeDoc, startApi } from '../api/fixture.js';
import { buildConsole } from './browser.js';

interface Event {
  event: string;
  data: unknown;
}

/** Reads the stream until `enough` says so (or 30 s pass), then closes it. */
async function readEvents(url: string, headers: Record<string, string>, enough: (e: Event[]) => boolean) {
  const abort = new AbortController();
  const res = await fetch(`${url}/api/v1/events`, { headers, signal: abort.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const events: Event[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  const timer = setTimeout(() => abort.abort(), 30_000);
  try {
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf('\n\n');
        const event = /^event: (.*)$/m.exec(frame)?.[1];
        const data = /^data: (.*)$/m.exec(frame)?.[1];
        if (event && data) events.push({ event, data: (JSON.parse(data) as { data: unknown }).data });
      }
      if (enough(events)) break;
    }
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  return events;
}

const has =
  (...topics: string[]) =>
  (events: Event[]) =>
    topics.every((t) => events.some((e) => e.event === t));

describe('console routes', () => {
  let fx: ApiFixture;

  beforeAll(async () => {
    buildConsole();
    fx = await startApi();
    const admin = apiKey(fx.keys['admin-all']);
    for (const [name, ns] of [
      ['resnet', 'default'],
      ['bert', 'team-b'],
    ] as const) {
      const r = await fx.call('POST', '/api/v1/policies', { document: routeDoc(name, ns) }, admin);
      expect(r.status, JSON.stringify(r.json)).toBeLessThan(300);
    }
  }, 120_000);

  afterAll(async () => {
    await fx?.close();
  });

  it('serves the page and the bundle without credentials, with no data in them', async () => {
    const page = await fetch(`${fx.url}/ui`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const html = await page.text();
    expect(html).toContain('<script type="module" src="/ui/app.js">');
    expect(html).not.toContain('resnet');
    const js = await fetch(`${fx.url}/ui/app.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toContain('text/javascript');
    expect((await js.arrayBuffer()).byteLength).toBeGreaterThan(10_000);
    expect((await fetch(`${fx.url}/ui/app.css`)).status).toBe(200);
    expect((await fetch(`${fx.url}/ui/secrets.json`)).status).toBe(404);
  });

  it('refuses the event stream without valid credentials', async () => {
    const anonymous = await fetch(`${fx.url}/api/v1/events`);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { code: string }).code).toBe('SY_UNAUTHENTICATED');
    const wrong = await fetch(`${fx.url}/api/v1/events`, { headers: apiKey('sy_not-a-key') });
    expect(wrong.status).toBe(401);
  });

  it('gives a viewer of every namespace every topic', async () => {
    const events = await readEvents(
      fx.url,
      apiKey(fx.keys['viewer-all']),
      has('policies', 'endpoints', 'split'),
    );
    expect(events.slice(0, 2).map((e) => e.event)).toEqual(['session', 'history']);
    const policies = events.find((e) => e.event === 'policies')!.data as Array<{ model: string }>;
    expect(policies.map((p) => p.model).sort()).toEqual(['resnet', 'team-b-bert']);
    const endpoints = events.find((e) => e.event === 'endpoints')!.data as Array<{ model: string }>;
    expect(new Set(endpoints.map((e) => e.model))).toEqual(new Set(['resnet', 'team-b-bert']));
    const split = events.find((e) => e.event === 'split')!.data as { models: Record<string, unknown> };
    expect(split.models).toMatchObject({ resnet: { v1: 90, v2: 10 } });
  });

  it('cuts a namespace viewer to its namespace, without the cluster-wide views', async () => {
    const events = await readEvents(
      fx.url,
      apiKey(fx.keys['viewer-default']),
      has('policies', 'endpoints', 'split'),
    );
    expect(events[0]!.data).toMatchObject({ principal: 'apikey:viewer-default', audit: false });
    const policies = events.find((e) => e.event === 'policies')!.data as Array<{ model: string }>;
    expect(policies.map((p) => p.model)).toEqual(['resnet']);
    expect(events.find((e) => e.event === 'endpoints')!.data).toEqual([]);
    expect(events.find((e) => e.event === 'proxies')!.data).toEqual([]);
    const split = events.find((e) => e.event === 'split')!.data as { models: Record<string, unknown> };
    expect(Object.keys(split.models)).toEqual(['resnet']);
  });
});
