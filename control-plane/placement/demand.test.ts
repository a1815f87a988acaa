import { describe, expect, it } from 'vitest';
import { parsePolicyFile } from '../policy/index.js';
import type { CatalogView } from './catalog-view.js';
import { demandOf } from './demand.js';

const route = (name: string, model: string, versions: string, extra = '') =>
  parsePolicyFile(
    `apiVersion: switchyard.dev/v1alpha1\nkind: ModelRoute\nmetadata: { name: ${name} }\nspec:\n  model: ${model}\n${extra}  versions:\n${versions}`,
    `${name}.yaml`,
  )[0]!;

const catalog = (regions: string[] = []): Map<string, CatalogView> =>
  new Map([
    [
      'fraud.2',
      {
        name: 'fraud',
        version: '2',
        digest: 'sha256:x',
        sizeBytes: 100,
        objectName: 'fraud/2',
        sealedDataKey: 'k',
        regions,
      },
    ],
  ]);

describe('demandOf', () => {
  it('narrows the catalog regions by the route residency, and reports a version the registry lacks', () => {
    const r = route(
      'a',
      'fraud',
      '    - { name: v2, weight: 1, model: { registry: "fraud:2" }, replicas: { min: 2, max: 4 }, device: gpu }\n    - { name: v3, weight: 1, model: { registry: "fraud:3" } }\n',
      '  residency: { regions: [eu-west, ae-north] }\n',
    );
    const d = demandOf([r], catalog(['ae-north', 'us-east']), new Map());
    expect(d.versions).toEqual([
      {
        key: 'fraud.2',
        model: 'fraud',
        version: '2',
        min: 2,
        max: 4,
        desired: 2,
        device: 'gpu',
        regions: ['ae-north'],
        sizeBytes: 100,
      },
    ]);
    expect(d.missing).toMatchObject([
      {
        key: 'fraud.3',
        unplaced: { reason: 'not-in-registry', message: 'fraud:3 is not in the model registry' },
      },
    ]);
  });

  it('merges two routes naming one registry version and scales on its replicas signal', () => {
    const a = route(
      'a',
      'fraud',
      '    - { name: v2, model: { registry: "fraud:2" }, replicas: { min: 1, max: 3 } }\n',
    );
    const b = route(
      'b',
      'fraud-shadow',
      '    - { name: s, model: { registry: "fraud:2" }, replicas: { min: 2, max: 5 } }\n',
    );
    const stats = new Map([
      ['fraud.2', { ready: 2, utilizationSum: 2.8, withUtilization: 2, queueDepth: 0 }],
    ]);
    const d = demandOf([a, b], catalog(), stats);
    expect(d.versions[0]).toMatchObject({ min: 2, max: 5, desired: 4, regions: [] });
    expect(d.scaling.get('fraud.2')).toMatchObject({ desired: 4, driver: 'utilization' });
  });

  it('asks for no replica of a version released to max 0, whatever its pods report', () => {
    const r = route(
      'a',
      'fraud',
      '    - { name: v1, weight: 0, model: { registry: "fraud:2" }, replicas: { min: 0, max: 0 } }\n    - { name: v2, weight: 1 }\n',
    );
    const stats = new Map([['fraud.2', { ready: 2, utilizationSum: 2, withUtilization: 2, queueDepth: 9 }]]);
    const d = demandOf([r], catalog(), stats);
    expect(d.versions[0]).toMatchObject({ key: 'fraud.2', min: 0, max: 0, desired: 0 });
  });
});
