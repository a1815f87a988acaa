// Header conditions share one HeaderMatcher per equal condition within a translation, and a
// condition that differs in name, kind or value keeps its own.
import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { HeaderMatcherSchema } from '../../protos/gen/envoy/config/route/v3/route_components_pb.js';
import type { HeaderMatch } from '../policy/types.js';
import { interningIn } from './proto.js';
import { headerMatcher } from './routes.js';
import { TranslationCache } from './translation-cache.js';

const CONDITIONS: [string, HeaderMatch][] = [
  ['x-cohort', { exact: 'beta' }],
  ['x-cohort', { prefix: 'beta' }],
  ['x-cohort', { regex: 'beta' }],
  ['x-cohort', { exact: 'true' }],
  ['x-cohort', { present: true }],
  ['x-cohort', { present: false }],
  ['x-tier', { exact: 'beta' }],
  ['x-cohort', { exact: 'gamma' }],
];

function expected(name: string, m: HeaderMatch) {
  if ('present' in m)
    return create(HeaderMatcherSchema, {
      name,
      headerMatchSpecifier: { case: 'presentMatch', value: true },
      invertMatch: !m.present,
    });
  const [kind, value] = Object.entries(m)[0] as [string, string];
  const matchPattern =
    kind === 'regex'
      ? { case: 'safeRegex' as const, value: { regex: value } }
      : { case: kind as 'exact' | 'prefix', value };
  return create(HeaderMatcherSchema, {
    name,
    headerMatchSpecifier: { case: 'stringMatch', value: { matchPattern } },
  });
}

describe('headerMatcher', () => {
  it('gives every differing condition its own matcher within one translation', () => {
    interningIn(new TranslationCache(), () => {
      const built = CONDITIONS.map(([name, m]) => headerMatcher(name, m));
      CONDITIONS.forEach(([name, m], i) => {
        expect(built[i], `${name} ${JSON.stringify(m)}`).toEqual(expected(name, m));
      });
      expect(new Set(built).size).toBe(CONDITIONS.length);
    });
  });

  it('shares one matcher between equal conditions in separate objects', () => {
    interningIn(new TranslationCache(), () => {
      for (const [name, m] of CONDITIONS) expect(headerMatcher(name, { ...m })).toBe(headerMatcher(name, m));
    });
  });
});
