// Golden files: every testdata/in/<case>.yaml is translated for both flavors and compared with
// testdata/out/<flavor>/<case>.<type>.yaml (proto3 JSON as YAML; no file for an empty type).
// `UPDATE_GOLDEN=1 npx vitest run control-plane/translate` rewrites them; nothing else does.
import { existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { goldenCaseNames, goldenOutFile, readGoldenCase } from '../../test/translate-e2e/golden-cases.js';
import { checkResources } from '../validate/index.js';
import { type Flavor, translate } from './index.js';
import { RESOURCE_TYPES, renderResourcesYaml } from './render.js';

const UPDATE = process.env.UPDATE_GOLDEN === '1';
const FLAVORS: readonly Flavor[] = ['envoy', 'grpc'];
const CASES = goldenCaseNames();

describe('golden translation', () => {
  it('has at least 25 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(25);
  });

  for (const name of CASES) {
    for (const flavor of FLAVORS) {
      it(`${name} (${flavor})`, () => {
        const { input, options } = readGoldenCase(name);
        const set = translate(input, flavor, options);
        expect(checkResources(set)).toEqual([]);
        for (const type of RESOURCE_TYPES) {
          const file = goldenOutFile(name, flavor, type);
          const empty = set[type].length === 0;
          if (UPDATE) {
            if (empty && existsSync(file)) unlinkSync(file);
            if (!empty) {
              mkdirSync(dirname(file), { recursive: true });
              writeFileSync(file, renderResourcesYaml(set, type));
            }
          } else if (empty) {
            expect(existsSync(file), `${file} should not exist`).toBe(false);
          } else {
            expect(existsSync(file), `${file} is missing (UPDATE_GOLDEN=1 writes it)`).toBe(true);
            expect(renderResourcesYaml(set, type)).toBe(readFileSync(file, 'utf8'));
          }
        }
      });
    }
  }
});
