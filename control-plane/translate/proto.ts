// Small builders shared by the translators: durations, Any packing, the ADS config source.
import { create, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { type Any, anyPack, type Duration, DurationSchema } from '@bufbuild/protobuf/wkt';
import { parseDurationNs } from '../../kernel/runtime/duration.js';
import {
  ApiVersion,
  type ConfigSource,
  ConfigSourceSchema,
} from '../../protos/gen/envoy/config/core/v3/config_source_pb.js';
import type { TranslationCache } from './translation-cache.js';

// Resources share immutable sub-messages (durations, matchers, retry policies, outlier detection)
// instead of building equal copies: at 10,000 models the copies cost more in garbage collection
// than in construction. Nothing downstream mutates a translated message. What is shared lives in
// the caller's TranslationCache, made current for the length of one synchronous translate call
// (`interningIn`), so there is no process-wide map that grows; outside one, nothing is shared.
let current: TranslationCache | undefined;

/** Runs `fn` with `cache` as where `shared` keeps sub-messages. */
export function interningIn<T>(cache: TranslationCache, fn: () => T): T {
  const outer = current;
  current = cache;
  try {
    return fn();
  } finally {
    current = outer;
  }
}

/** Memoizes a builder by kind and key in the current cache; for sub-messages many resources share. */
export function shared<T>(kind: string, key: string, build: () => T): T {
  return current ? current.intern(kind, key, build) : build();
}

/** A policy duration (already validated) as google.protobuf.Duration, shared per spelling. */
export function duration(text: string): Duration {
  return shared('duration', text, () => {
    const ns = parseDurationNs(text) ?? 0;
    const seconds = Math.floor(ns / 1e9);
    return create(DurationSchema, { seconds: BigInt(seconds), nanos: ns - seconds * 1e9 });
  });
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
