// ManagedModels against a real ModelManager (real onnxruntime sessions) with an in-memory
// artifact source: which PodAssignments are applied, and what a load reports.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Digest } from '../../kernel/artifacts/index.js';
import { memoryLogger } from '../../kernel/log/index.js';
import {
  type AssignedVersion,
  AssignedVersionSchema,
  PodAssignmentsSchema,
} from '../../protos/gen/switchyard/dataplane/v1/dataplane_pb.js';
import { AFFINE_CONFIG, affineFixed } from '../models/catalog.js';
import { BUILTIN_MODEL_DEFAULTS } from '../repository/config.js';
import { ModelManager } from '../serving/model-manager.js';
import { ArtifactCache } from './artifact-cache.js';
import { ManagedModels } from './managed-models.js';

const plain = affineFixed();
const version = (v: string): AssignedVersion =>
  create(AssignedVersionSchema, {
    model: 'affine',
    version: v,
    digest: sha256Digest(plain),
    sizeBytes: BigInt(plain.length),
    objectName: `affine/${v}`,
    configYaml: AFFINE_CONFIG,
  });
const assignments = (revision: bigint, sentAtMs: bigint, versions: AssignedVersion[]) =>
  create(PodAssignmentsSchema, { podId: 'p', revision, sentAtMs, versions });

describe('managed models: applying assignments', () => {
  let dir: string;
  let models: ModelManager;
  let managed: ManagedModels;
  let fetches = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sy-managed-unit-'));
    const log = memoryLogger();
    models = new ModelManager({
      defaults: BUILTIN_MODEL_DEFAULTS,
      disableBatching: false,
      injectDelayMs: 0,
      observer: { queued() {}, batch() {}, finished() {} },
      log,
    });
    managed = new ManagedModels(models, new ArtifactCache(dir), {
      region: 'r1',
      drain: { graceMs: 0, timeoutMs: 1000 },
      log,
    });
    managed.setFetcher({
      fetch: async () => {
        fetches++;
        return plain;
      },
    });
  });

  afterAll(async () => {
    await models.stopAll();
    await rm(dir, { recursive: true, force: true });
  });

  it('loads what is assigned, once, and ignores a stale lower revision', async () => {
    await managed.apply(assignments(5n, 1000n, [version('1')]));
    expect(models.get('affine', '1')?.state).toBe('ready');
    expect(models.get('affine', '1')?.memoryBytes).toBeGreaterThanOrEqual(plain.length);
    expect(managed.assignmentRevision).toBe(5n);
    // The same state again (the placer re-sends periodically): nothing to do.
    await managed.apply(assignments(5n, 2000n, [version('1')]));
    expect(fetches).toBe(1);
    // An older message of an older leader: ignored.
    await managed.apply(assignments(3n, 900n, []));
    expect(models.get('affine', '1')?.state).toBe('ready');
    expect(managed.assignmentRevision).toBe(5n);
  });

  it('takes a lower revision sent later (a new leader counting from its start)', async () => {
    await managed.apply(assignments(1n, 3000n, [version('2')]));
    expect(managed.assignmentRevision).toBe(1n);
    expect(models.get('affine', '2')?.state).toBe('ready');
    // Version 1 was unassigned: drained (grace 0) and unloaded.
    for (let i = 0; i < 200 && models.get('affine', '1'); i++) await new Promise((r) => setTimeout(r, 25));
    expect(models.get('affine', '1')).toBeUndefined();
  });

  it('refuses a version outside its regions without fetching it', async () => {
    const before = fetches;
    const eu = create(AssignedVersionSchema, { ...version('3'), regions: ['eu'] });
    await managed.apply(assignments(2n, 4000n, [version('2'), eu]));
    expect(models.get('affine', '3')?.state).toBe('failed');
    expect(models.get('affine', '3')?.failureReason).toMatch(/^residency: .* only in eu, this pod is in r1/);
    expect(fetches).toBe(before);
  });

  it('re-fetches a cached file that fails its check while the load waits behind a drain', async () => {
    // The cached file is checked while the load waits its turn (here behind the version's own
    // drain grace); a check that fails meanwhile must not be a rejection nothing handles (that
    // ends the pod): the load refuses the cached file and fetches the artifact again.
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    const log = memoryLogger();
    const slow = new ManagedModels(models, new ArtifactCache(dir), {
      region: 'r1',
      drain: { graceMs: 400, timeoutMs: 1000 },
      log,
    });
    let fetched = 0;
    slow.setFetcher({
      fetch: async () => {
        fetched++;
        return plain;
      },
    });
    try {
      await slow.apply(assignments(1n, 1n, [version('7')]));
      expect(models.get('affine', '7')?.state).toBe('ready');
      void slow.apply(assignments(2n, 2n, [])); // drains version 7 for 400 ms
      await writeFile(join(dir, 'affine', '7', 'model.onnx'), 'not the artifact');
      await slow.apply(assignments(3n, 3n, [version('7')]));
      expect(log.lines.some((l) => l.includes('cached affine version 7 not usable; downloading it'))).toBe(
        true,
      );
      expect(models.get('affine', '7')?.state).toBe('ready');
      expect(fetched).toBe(2);
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });
});
