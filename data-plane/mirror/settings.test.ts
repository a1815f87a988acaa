import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { MirrorConfigSchema } from '../../protos/gen/switchyard/dataplane/v1/dataplane_pb.js';
import { mirrorSettingsOf } from './settings.js';

const config = (over: Record<string, unknown> = {}) =>
  create(MirrorConfigSchema, {
    model: 'm',
    fromVersion: '1',
    toVersion: '2',
    percent: 20,
    targets: ['10.0.0.1:8001', '[::1]:9000'],
    tolerance: 0.01,
    ...over,
  });

describe('mirrorSettingsOf', () => {
  it('reads a usable config, and an empty one as off', () => {
    expect(mirrorSettingsOf(config())).toEqual({
      model: 'm',
      fromVersion: '1',
      toVersion: '2',
      percent: 20,
      targets: ['10.0.0.1:8001', '[::1]:9000'],
      tolerance: 0.01,
    });
    expect(mirrorSettingsOf(create(MirrorConfigSchema, {}))).toBeUndefined();
    expect(mirrorSettingsOf(config({ percent: 0 }))).toBeUndefined();
  });

  it('refuses what it cannot use, naming the field', () => {
    expect(() => mirrorSettingsOf(config({ percent: 150 }))).toThrow(/percent = 150/);
    expect(() => mirrorSettingsOf(config({ percent: Number.NaN }))).toThrow(/percent = NaN/);
    expect(() => mirrorSettingsOf(config({ tolerance: -1 }))).toThrow(/tolerance = -1/);
    expect(() => mirrorSettingsOf(config({ toVersion: '1' }))).toThrow(/is from_version itself/);
    expect(() => mirrorSettingsOf(config({ targets: ['nohost'] }))).toThrow(/"nohost" is not host:port/);
    expect(() => mirrorSettingsOf(config({ targets: ['h:0'] }))).toThrow(/not host:port/);
    expect(() => mirrorSettingsOf(config({ model: '' }))).toThrow(/model and from_version/);
  });
});
