// The registry against a real nats-server (KV catalog, Object Store artifacts, audit stream) and
// real ONNX Runtime: push -> list -> describe, refusal of files ORT cannot load, idempotent retry,
// immutable versions, encryption at rest, residency at hand out.
import { Kvm } from '@nats-io/kv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactKeyLabel, decryptArtifact, sha256Digest } from '../../kernel/artifacts/index.js';
import { openKey } from '../../kernel/crypto/index.js';
import { modelFile, type RegistryWorld, registryWorld } from './helpers.js';

const alice = { id: 'apikey:alice', from: '127.0.0.1' };

describe('model registry on JetStream', () => {
  let w: RegistryWorld;
  beforeAll(async () => {
    w = await registryWorld('regtest');
  }, 60_000);
  afterAll(async () => w?.close());

  it('pushes, lists and describes a version with digest, size, signature, pusher and audit', async () => {
    const bytes = modelFile('convnet');
    const seen: number[] = [];
    const res = await w.registry.push(
      {
        name: 'fraud',
        version: '1',
        bytes,
        labels: { team: 'risk' },
        metrics: { auc: 0.93 },
        regions: ['eu-west'],
        reason: 'first cut',
      },
      alice,
      (sent) => seen.push(sent),
    );
    expect(res.status).toBe('created');
    expect(res.version.digest).toBe(sha256Digest(bytes));
    expect(res.version.sizeBytes).toBe(bytes.length);
    expect(res.version.inputs.length).toBeGreaterThan(0);
    expect(res.version.inputs[0]!.type).toBe('float32');
    expect(res.version.outputs.length).toBeGreaterThan(0);
    expect(res.version.pushedBy).toBe('apikey:alice');
    expect(res.version).not.toHaveProperty('sealedDataKey');
    // Progress counts the sealed bytes (nonce and tag included) up to the end.
    expect(seen.at(-1)).toBe(bytes.length + 28);

    const list = await w.registry.list();
    expect(list.map((v) => `${v.name}:${v.version}`)).toEqual(['fraud:1']);
    const d = await w.registry.describe({ name: 'fraud', version: '1' });
    expect(d.metrics).toEqual({ auc: 0.93 });
    expect(d.labels).toEqual({ team: 'risk' });
    expect(d.stage).toBe('none');
    expect(d.history.map((h) => h.action)).toEqual(['model-push']);
    expect(d.history[0]!.who).toBe('apikey:alice');
    expect(d.history[0]!.reason).toBe('first cut');
  }, 60_000);

  it('stores the artifact encrypted; the KEK opens the data key that decrypts it', async () => {
    const bytes = modelFile('convnet');
    const { record } = await w.registry.entry({ name: 'fraud', version: '1' });
    const stored = await w.artifacts.get('fraud/1');
    expect(stored).toBeDefined();
    expect(stored!.length).toBe(bytes.length + 28);
    expect(Buffer.from(stored!).includes(Buffer.from(bytes.subarray(0, 64)))).toBe(false);
    const key = await openKey(record.sealedDataKey, w.kek, artifactKeyLabel('fraud', '1'));
    expect(sha256Digest(decryptArtifact(stored!, key))).toBe(record.digest);
  });

  it('is idempotent on a retry with the same file and refuses other content for the version', async () => {
    const again = await w.registry.push({ name: 'fraud', version: '1', bytes: modelFile('convnet') }, alice);
    expect(again.status).toBe('unchanged');
    expect((await w.registry.list()).length).toBe(1);
    await expect(
      w.registry.push({ name: 'fraud', version: '1', bytes: modelFile('affine') }, alice),
    ).rejects.toMatchObject({
      code: 'SY_VERSION_CONFLICT',
      httpStatus: 409,
    });
    const history = (await w.registry.describe({ name: 'fraud', version: '1' })).history;
    expect(history.filter((h) => h.action === 'model-push').length).toBe(1);
  }, 60_000);

  it('settles two concurrent pushes of one version: one created, one unchanged, the object opens', async () => {
    const bytes = modelFile('convnet');
    const ref = { name: 'race', version: '1' };
    const results = await Promise.all([
      w.registry.push({ ...ref, bytes }, alice),
      w.registry.push({ ...ref, bytes }, alice),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['created', 'unchanged']);
    const { record, sealed } = await w.registry.artifactFor(ref, undefined);
    const key = await openKey(record.sealedDataKey, w.kek, artifactKeyLabel('race', '1'));
    expect(sha256Digest(decryptArtifact(sealed, key))).toBe(sha256Digest(bytes));
    await w.registry.delete(ref, alice);
  }, 60_000);

  it('completes an interrupted upload on a retry with the same file; the version is not handed out before', async () => {
    const bytes = modelFile('convnet');
    const ref = { name: 'resumed', version: '1' };
    await w.registry.push({ ...ref, bytes }, alice);
    // What a control plane that died mid-upload leaves: the record, flagged, and no object.
    const { record, revision } = await w.registry.entry(ref);
    expect(record.uploading).toBeUndefined();
    expect(await w.catalog.update({ ...record, uploading: true }, revision)).toBe(true);
    await w.artifacts.delete(record.objectName);
    await expect(w.registry.artifactFor(ref, undefined)).rejects.toThrow(/still being uploaded/);
    const retry = await w.registry.push({ ...ref, bytes }, alice);
    expect(retry.status).toBe('unchanged');
    expect(retry.version.uploading).toBeUndefined();
    const { sealed } = await w.registry.artifactFor(ref, undefined);
    const key = await openKey(record.sealedDataKey, w.kek, artifactKeyLabel('resumed', '1'));
    expect(sha256Digest(decryptArtifact(sealed, key))).toBe(sha256Digest(bytes));
    // Other content for it is still a conflict, and leaves the object alone.
    await expect(w.registry.push({ ...ref, bytes: modelFile('affine') }, alice)).rejects.toMatchObject({
      code: 'SY_VERSION_CONFLICT',
    });
    expect((await w.registry.artifactFor(ref, undefined)).sealed).toEqual(sealed);
    await w.registry.delete(ref, alice);
  }, 60_000);

  it('refuses a file ONNX Runtime cannot load, before anything is stored', async () => {
    const corrupt = modelFile('convnet').slice(0, 200);
    await expect(
      w.registry.push({ name: 'broken', version: '1', bytes: corrupt }, alice),
    ).rejects.toMatchObject({
      code: 'SY_ARTIFACT_INVALID',
      message: expect.stringContaining('broken:1: model file: ONNX Runtime cannot load it'),
    });
    const garbage = new TextEncoder().encode('not a model at all');
    await expect(
      w.registry.push({ name: 'broken', version: '2', bytes: garbage }, alice),
    ).rejects.toMatchObject({
      code: 'SY_ARTIFACT_INVALID',
    });
    expect(await w.artifacts.get('broken/1')).toBeUndefined();
    expect((await w.registry.list()).map((v) => v.name)).not.toContain('broken');
  }, 60_000);

  it('hands out an artifact only inside its regions; anywhere when it has none', async () => {
    await expect(w.registry.artifactFor({ name: 'fraud', version: '1' }, 'us-east')).rejects.toMatchObject({
      code: 'SY_RESIDENCY_REFUSED',
      message: expect.stringContaining('eu-west'),
    });
    await expect(w.registry.artifactFor({ name: 'fraud', version: '1' }, undefined)).rejects.toMatchObject({
      code: 'SY_RESIDENCY_REFUSED',
    });
    const ok = await w.registry.artifactFor({ name: 'fraud', version: '1' }, 'eu-west');
    expect(ok.sealed.length).toBe(modelFile('convnet').length + 28);
    await w.registry.push({ name: 'anywhere', version: '1', bytes: modelFile('affine') }, alice);
    expect(
      (await w.registry.artifactFor({ name: 'anywhere', version: '1' }, 'ap-south')).record.regions,
    ).toEqual([]);
  }, 60_000);

  it("shows the placer's record for the version when the placement bucket exists", async () => {
    const kv = await new Kvm(w.nc).create('regtest_placement');
    const placed = {
      desiredReplicas: 2,
      min: 1,
      max: 3,
      assigned: ['pod-a', 'pod-b'],
      ready: ['pod-a'],
      updatedAt: 'now',
    };
    await kv.put('fraud.1', JSON.stringify(placed));
    expect((await w.registry.describe({ name: 'fraud', version: '1' })).placement).toEqual(placed);
    await w.registry.push({ name: 'unplaced', version: '1', bytes: modelFile('affine') }, alice);
    expect(await w.registry.describe({ name: 'unplaced', version: '1' })).not.toHaveProperty('placement');
  }, 60_000);

  it('deletes a version and its object, audited; a production version must be archived first', async () => {
    await w.registry.delete({ name: 'anywhere', version: '1' }, alice, 'cleanup');
    await w.registry.delete({ name: 'unplaced', version: '1' }, alice);
    expect(await w.artifacts.get('anywhere/1')).toBeUndefined();
    await expect(w.registry.describe({ name: 'anywhere', version: '1' })).rejects.toMatchObject({
      code: 'SY_NOT_FOUND',
    });
    const trail = (await w.audit.read()).map((e) => e.record);
    expect(trail.find((r) => r.action === 'model-delete' && r.name === 'model:anywhere:1')?.reason).toBe(
      'cleanup',
    );
    expect((await w.audit.verify()).ok).toBe(true);
  }, 60_000);
});
