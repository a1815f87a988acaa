// What placement reads from a catalog record: a version whose artifact is still uploading is not
// placeable (its object is not in the store yet); the same record without the flag is.
import { describe, expect, it } from 'vitest';
import { readCatalogRecord } from './catalog-view.js';

const record = (extra: Record<string, unknown> = {}) =>
  new TextEncoder().encode(
    JSON.stringify({
      name: 'fraud',
      version: '2',
      digest: `sha256:${'ab'.repeat(32)}`,
      sizeBytes: 1234,
      objectName: 'fraud/2',
      sealedDataKey: 'sealed',
      regions: ['eu-west', 7],
      ...extra,
    }),
  );

describe('readCatalogRecord', () => {
  it('reads the fields placement needs', () => {
    expect(readCatalogRecord(record({ configYaml: 'max_batch_size: 8\n' }))).toEqual({
      name: 'fraud',
      version: '2',
      digest: `sha256:${'ab'.repeat(32)}`,
      sizeBytes: 1234,
      objectName: 'fraud/2',
      sealedDataKey: 'sealed',
      regions: ['eu-west'],
      configYaml: 'max_batch_size: 8\n',
    });
  });

  it('skips a version whose artifact is still uploading', () => {
    expect(readCatalogRecord(record({ uploading: true }))).toBeUndefined();
    expect(readCatalogRecord(record({ uploading: false }))?.objectName).toBe('fraud/2');
  });

  it('skips what is not a catalog record', () => {
    expect(readCatalogRecord(new TextEncoder().encode('not json'))).toBeUndefined();
    expect(readCatalogRecord(record({ digest: 5 }))).toBeUndefined();
  });
});
