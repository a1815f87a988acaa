// Small builders shared by the translators: durations, Any packing, the ADS config source.
import { create, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { type Any, anyPack, type Duration, DurationSchema } from '@bufbuild/protobuf/wkt';
import {
  ApiVersion,
  type ConfigSource,
  ConfigSourceSchema,
} from '../../protos/gen/envoy/config/core/v3/config_source_pb.js';
import { parseDurationNs } from '../policy/index.js';

/** A policy duration (already validated) as google.protobuf.Duration. */
export function duration(text: string): Duration {
  const ns = parseDurationNs(text) ?? 0;
  const seconds = Math.floor(ns / 1e9);
  return create(DurationSchema, { seconds: BigInt(seconds), nanos: ns - seconds * 1e9 });
}

export function durationFromMs(ms: number): Duration {
  const seconds = Math.floor(ms / 1000);
  return create(DurationSchema, { seconds: BigInt(seconds), nanos: Math.round((ms - seconds * 1000) * 1e6) });
}

export function pack<D extends DescMessage>(schema: D, message: MessageShape<D>): Any {
  return anyPack(schema, message);
}

/** `{ ads: {}, resource_api_version: V3 }`: everything comes over the one ADS stream. */
export function adsConfigSource(): ConfigSource {
  return create(ConfigSourceSchema, {
    configSourceSpecifier: { case: 'ads', value: {} },
    resourceApiVersion: ApiVersion.V3,
  });
}
