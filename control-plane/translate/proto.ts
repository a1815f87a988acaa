// Small builders shared by the translators: durations, Any packing, the ADS config source.
import { create, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { type Any, anyPack, type Duration, DurationSchema } from '@bufbuild/protobuf/wkt';
import { parseDurationNs } from '../../kernel/runtime/duration.js';
import {
  ApiVersion,
  type ConfigSource,
  ConfigSourceSchema,
} from '../../protos/gen/envoy/config/core/v3/config_source_pb.js';

// Resources share immutable sub-messages (durations, config sources, filters) instead of
// building equal copies: at 10,000 models the copies cost more in garbage collection than in
// construction. Nothing downstream mutates a translated message.
const durations = new Map<string, Duration>();

/** A policy duration (already validated) as google.protobuf.Duration, shared per spelling. */
export function duration(text: string): Duration {
  let d = durations.get(text);
  if (!d) {
    const ns = parseDurationNs(text) ?? 0;
    const seconds = Math.floor(ns / 1e9);
    d = create(DurationSchema, { seconds: BigInt(seconds), nanos: ns - seconds * 1e9 });
    durations.set(text, d);
  }
  return d;
}

/** Memoizes a builder by a string key; for sub-messages many resources share. */
export function shared<T>(cache: Map<string, T>, key: string, build: () => T): T {
  let v = cache.get(key);
  if (v === undefined) {
    v = build();
    cache.set(key, v);
  }
  return v;
}

export function pack<D extends DescMessage>(schema: D, message: MessageShape<D>): Any {
  return anyPack(schema, message);
}

const ADS = create(ConfigSourceSchema, {
  configSourceSpecifier: { case: 'ads', value: {} },
  resourceApiVersion: ApiVersion.V3,
});

/** `{ ads: {}, resource_api_version: V3 }`: everything comes over the one ADS stream. */
export function adsConfigSource(): ConfigSource {
  return ADS;
}
