// The hub alone, with its sources stubbed: which events each stream gets, when, and the limits.
// The browser and a real control plane are in test/console/.
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { PolicyView } from '../api/policy-views.js';
import type { Principal } from '../auth/rbac.js';
import { ConsoleHub, type ConsoleHubOptions } from './console-hub.js';
import type { ConsoleSources } from './console-state.js';

class FakeResponse extends EventEmitter {
  chunks: string[] = [];
  writableLength = 0;
  ended = false;
  destroyed = false;
  write(s: string): boolean {
    this.chunks.push(s);
    return true;
  }
  end(): void {
    this.ended = true;
    this.emit('close');
  }
  destroy(): void {
    this.destroyed = true;
    this.emit('close');
  }
  /** Parsed events: name and data. */
  events(): Array<{ event: string; data: unknown }> {
    return this.chunks
      .filter((c) => c.startsWith('event: '))
      .map((c) => {
        const [head, body] = c.split('\n');
        return { event: head!.slice(7), data: (JSON.parse(body!.slice(6)) as { data: unknown }).data };
      });
  }
  topics(): string[] {
    return this.events()
      .map((e) => e.event)
      .filter((e) => e !== 'split');
  }
}

const admin: Principal = {
  id: 'apikey:admin',
  kind: 'apikey',
  bindings: [{ role: 'admin', namespaces: ['*'] }],
};
const nsViewer: Principal = {
  id: 'apikey:v',
  kind: 'apikey',
  bindings: [{ role: 'viewer', namespaces: ['a'] }],
};

const view = (namespace: string, model: string, w1: number): PolicyView => ({
  namespace,
  name: model,
  model,
  revision: 1,
  versions: [
    { name: 'v1', weight: w1 },
    { name: 'v2', weight: 100 - w1 },
  ],
  document: {},
});

function sources(state: { policies: PolicyView[]; fail?: Error }): ConsoleSources {
  return {
    service: {
      list: async () => {
        if (state.fail) throw state.fail;
        return state.policies;
      },
    } as unknown as ConsoleSources['service'],
    proxies: { list: () => [] } as unknown as ConsoleSources['proxies'],
    endpoints: () => [
      { model: 'ma', version: 'v1', address: '10.0.0.1', port: 1, health: 'HEALTHY', source: 'static' },
    ],
    problems: () => [],
  };
}

const OPTS: ConsoleHubOptions = {
  tickMs: 20,
  historySamples: 5,
  maxStreams: 2,
  maxBufferedBytes: 1024,
  recheckMs: 60_000,
};

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

let hub: ConsoleHub | undefined;
afterEach(() => hub?.close());

describe('ConsoleHub', () => {
  it('sends the session and history first, then each topic once, and again only when it changes', async () => {
    const st = { policies: [view('a', 'ma', 90)] };
    hub = new ConsoleHub(sources(st), OPTS);
    const res = new FakeResponse();
    hub.attach(res as unknown as ServerResponse, admin);
    expect(res.chunks[0]).toBe('retry: 2000\n\n');
    await until(() => res.topics().includes('registry'), 'the first topics');
    expect(res.topics()).toEqual([
      'session',
      'history',
      'policies',
      'endpoints',
      'proxies',
      'problems',
      'rollouts',
      'registry',
    ]);
    expect(res.events()[0]!.data).toMatchObject({ principal: 'apikey:admin', audit: true });

    const splits = () => res.events().filter((e) => e.event === 'split').length;
    const before = splits();
    await until(() => splits() >= before + 3, 'three more ticks');
    // Nothing changed: only the split samples came.
    expect(res.topics()).toHaveLength(8);

    st.policies = [view('a', 'ma', 60)];
    await until(() => res.topics().length > 8, 'the changed policies');
    expect(res.topics().slice(8)).toEqual(['policies']);
    const last = res
      .events()
      .filter((e) => e.event === 'split')
      .at(-1)!.data;
    expect(last).toMatchObject({ models: { ma: { v1: 60, v2: 40 } } });
  });

  it('cuts each stream to its caller: a namespace viewer gets its policies and no endpoints', async () => {
    hub = new ConsoleHub(sources({ policies: [view('a', 'ma', 90), view('b', 'mb', 50)] }), OPTS);
    const res = new FakeResponse();
    hub.attach(res as unknown as ServerResponse, nsViewer);
    await until(() => res.topics().includes('registry'), 'the first topics');
    const data = (t: string) => res.events().find((e) => e.event === t)!.data;
    expect((data('policies') as PolicyView[]).map((p) => p.model)).toEqual(['ma']);
    expect(data('endpoints')).toEqual([]);
    await until(() => res.events().some((e) => e.event === 'split'), 'a split sample');
    expect(res.events().find((e) => e.event === 'split')!.data).toMatchObject({ models: { ma: { v1: 90 } } });
    expect(
      Object.keys((res.events().find((e) => e.event === 'split')!.data as { models: object }).models),
    ).toEqual(['ma']);
  });

  it('refuses a stream over the limit with 503 until one closes', () => {
    hub = new ConsoleHub(sources({ policies: [] }), OPTS);
    const a = new FakeResponse();
    hub.attach(a as unknown as ServerResponse, admin);
    hub.attach(new FakeResponse() as unknown as ServerResponse, admin);
    expect(() => hub!.admit()).toThrow(expect.objectContaining({ code: 'SY_UNAVAILABLE' }));
    a.end();
    expect(() => hub!.admit()).not.toThrow();
  });

  it('tells open consoles when a source fails, and drops a stream that does not read', async () => {
    const st: { policies: PolicyView[]; fail?: Error } = { policies: [] };
    hub = new ConsoleHub(sources(st), OPTS);
    const res = new FakeResponse();
    hub.attach(res as unknown as ServerResponse, admin);
    await until(() => res.topics().includes('registry'), 'the first topics');
    st.fail = new Error('store unreachable');
    await until(() => res.topics().includes('problem'), 'a problem event');
    expect(res.events().find((e) => e.event === 'problem')!.data).toMatchObject({
      message: 'store unreachable',
    });

    st.fail = undefined;
    res.writableLength = 4096;
    await until(() => res.destroyed, 'the slow stream dropped');
    expect(hub.size).toBe(0);
  });

  it('authenticates a stream again now and then, ending it with the reason once refused', async () => {
    hub = new ConsoleHub(sources({ policies: [view('a', 'ma', 90), view('b', 'mb', 50)] }), {
      ...OPTS,
      recheckMs: 50,
    });
    const res = new FakeResponse();
    let now: Principal | Error = admin;
    hub.attach(res as unknown as ServerResponse, admin, async () => {
      if (now instanceof Error) throw now;
      return now;
    });
    await until(() => res.topics().includes('policies'), 'the first topics');
    // The caller's roles shrank: the next policies event is cut to its namespace.
    now = nsViewer;
    await until(() => res.topics().filter((t) => t === 'policies').length === 2, 'the policies cut anew');
    const cut = res.events().filter((e) => e.event === 'policies')[1]!.data as PolicyView[];
    expect(cut.map((p) => p.model)).toEqual(['ma']);
    now = Object.assign(new Error('token expired'), { code: 'SY_UNAUTHENTICATED' });
    await until(() => res.ended, 'the stream ended');
    expect(res.events().at(-1)).toMatchObject({ event: 'refused', data: { message: 'token expired' } });
    expect(hub.size).toBe(0);
  });

  it('writes nothing more to a refused stream whose reader has not taken its last bytes', async () => {
    // A real response emits 'close' only once its bytes are flushed; a write after end() is an
    // 'error' event, and with no listener an uncaught exception.
    class SlowReader extends FakeResponse {
      afterEnd: string[] = [];
      override write(s: string): boolean {
        if (this.ended) this.afterEnd.push(s);
        return super.write(s);
      }
      override end(): void {
        this.ended = true;
      }
    }
    hub = new ConsoleHub(sources({ policies: [view('a', 'ma', 90)] }), { ...OPTS, recheckMs: 30 });
    const res = new SlowReader();
    hub.attach(res as unknown as ServerResponse, admin, async () => {
      throw Object.assign(new Error('token expired'), { code: 'SY_UNAUTHENTICATED' });
    });
    await until(() => res.ended, 'the stream ended');
    const ticks = (n: number) => new Promise((r) => setTimeout(r, OPTS.tickMs * n));
    await ticks(6);
    expect(res.events().at(-1)).toMatchObject({ event: 'refused' });
    expect(res.afterEnd).toEqual([]);
    expect(hub.size).toBe(0);
  });

  it('ends every stream when closed', () => {
    hub = new ConsoleHub(sources({ policies: [] }), OPTS);
    const res = new FakeResponse();
    hub.attach(res as unknown as ServerResponse, admin);
    hub.close();
    expect(res.ended).toBe(true);
    expect(hub.size).toBe(0);
  });
});
