// Which gateway routes may buffer a request body: those that retry or mirror it, which Envoy
// gives up on for bodies over the route's limit. Proxyless gRPC neither buffers nor reads it.
import { describe, expect, it } from 'vitest';
import { policy } from '../../test/helpers/policy-yaml.js';
import { parsePolicyFile } from '../policy/index.js';
import { BODY_BUFFER_LIMIT } from './route-action.js';
import { modelRoutes } from './routes.js';

const route = (spec: string) =>
  parsePolicyFile(
    policy('llm', `versions: [{ name: v1, weight: 100 }, { name: shadow, weight: 0 }]\n${spec}`),
    'llm.yaml',
  )[0]!;

const limits = (spec: string, flavor: 'envoy' | 'grpc' = 'envoy') =>
  modelRoutes(route(spec), flavor, flavor === 'envoy' ? 'rest' : 'any').map((r) => [
    r.name,
    r.perRequestBufferLimitBytes,
  ]);

describe('the per-request body buffer limit of a model route', () => {
  it('is set on every Envoy route of a model that retries', () => {
    expect(limits('match: [{ headers: { x-cohort: beta }, version: v1 }]')).toEqual([
      ['llm/rest/match-0', BODY_BUFFER_LIMIT],
      ['llm/rest/default', BODY_BUFFER_LIMIT],
    ]);
  });

  it('is set for a model that mirrors without retrying, and left out for one that does neither', () => {
    expect(limits('retries: { attempts: 0 }\nmirror: { version: shadow, percent: 10 }')).toEqual([
      ['llm/rest/default', BODY_BUFFER_LIMIT],
    ]);
    expect(limits('retries: { attempts: 0 }')).toEqual([['llm/rest/default', undefined]]);
  });

  it('is left out in the gRPC flavor, retries or not', () => {
    expect(limits('', 'grpc')).toEqual([['llm/default', undefined]]);
  });
});
