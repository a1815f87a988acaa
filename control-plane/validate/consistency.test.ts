// The snapshot consistency check on hand-made reference views: each kind of dangling name, with
// the exact path and message the publisher reports, and when secrets are (not) checked.
import { describe, expect, it } from 'vitest';
import { checkConsistency, type ReferenceView } from './consistency.js';

function view(parts: Partial<ReferenceView>): ReferenceView {
  return {
    listeners: new Map(),
    routes: new Map(),
    clusters: new Map(),
    endpoints: new Set(),
    ...parts,
  };
}

describe('checkConsistency', () => {
  it('passes a view where every name exists', () => {
    const v = view({
      listeners: new Map([['l', { routes: ['r'], clusters: ['jwks'], secrets: ['cert'] }]]),
      routes: new Map([['r', ['c']]]),
      clusters: new Map([
        ['c', { eds: 'c-eds', secrets: ['ca'] }],
        ['jwks', {}],
      ]),
      endpoints: new Set(['c-eds']),
      secrets: new Set(['cert', 'ca']),
    });
    expect(checkConsistency(v)).toEqual([]);
  });

  it('reports every dangling name at once, in resource order', () => {
    const v = view({
      listeners: new Map([
        ['l1', { routes: ['r', 'gone-route'], clusters: ['c', 'gone-jwks'] }],
        ['l2', { routes: ['other-route'], clusters: [] }],
      ]),
      routes: new Map([
        ['r', ['c', 'gone-a', 'gone-b']],
        ['r2', ['c']],
      ]),
      clusters: new Map([
        ['c', { eds: 'c' }],
        ['d', { eds: 'd-assignment' }],
        ['static', {}],
      ]),
      endpoints: new Set(['c']),
    });
    expect(checkConsistency(v)).toEqual([
      { path: 'listeners[l1]', message: 'names missing route configuration "gone-route"' },
      { path: 'listeners[l1]', message: 'routes to missing cluster "gone-jwks"' },
      { path: 'listeners[l2]', message: 'names missing route configuration "other-route"' },
      { path: 'routes[r]', message: 'routes to missing cluster "gone-a"' },
      { path: 'routes[r]', message: 'routes to missing cluster "gone-b"' },
      { path: 'clusters[d]', message: 'names missing endpoints (ClusterLoadAssignment "d-assignment")' },
    ]);
  });

  it('checks secrets only in a view that serves some', () => {
    const refs = {
      listeners: new Map([['l', { routes: [], clusters: [], secrets: ['cert', 'lost-cert'] }]]),
      clusters: new Map([
        ['c', { secrets: ['ca', 'lost-ca'] }],
        ['plain', {}],
      ]),
    };
    // No secrets, or an empty set: a flavor snapshot or one served to proxyless gRPC.
    expect(checkConsistency(view(refs))).toEqual([]);
    expect(checkConsistency(view({ ...refs, secrets: new Set() }))).toEqual([]);
    expect(checkConsistency(view({ ...refs, secrets: new Set(['cert', 'ca']) }))).toEqual([
      { path: 'listeners[l]', message: 'names missing secret "lost-cert"' },
      { path: 'clusters[c]', message: 'names missing secret "lost-ca"' },
    ]);
  });

  it('takes a listener without a secrets list as naming none', () => {
    const v = view({
      listeners: new Map([['l', { routes: [], clusters: [] }]]),
      secrets: new Set(['cert']),
    });
    expect(checkConsistency(v)).toEqual([]);
  });
});
