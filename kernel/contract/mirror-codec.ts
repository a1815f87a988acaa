// The body of switchyard.pod.<podId>.mirror (control plane -> pod): MirrorConfig of
// dataplane.proto in protobuf binary encoding.
import { create, fromBinary, type MessageInitShape, toBinary } from '@bufbuild/protobuf';
import {
  type MirrorConfig,
  MirrorConfigSchema,
} from '../../protos/gen/switchyard/dataplane/v1/dataplane_pb.js';

export function encodeMirrorConfig(init: MessageInitShape<typeof MirrorConfigSchema>): Uint8Array {
  return toBinary(MirrorConfigSchema, create(MirrorConfigSchema, init));
}

export function decodeMirrorConfig(bytes: Uint8Array): MirrorConfig {
  return fromBinary(MirrorConfigSchema, bytes);
}
