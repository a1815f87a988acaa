// The protoc-gen-validate checker: walks a message recursively (into google.protobuf.Any
// payloads too, unpacked with the shared registry) and applies the `validate.rules`,
// `validate.required` (oneofs) and `validate.disabled` annotations found in the generated
// descriptors. Problems come back as data, path-prefixed the way gRPC reports them:
// `virtual_hosts[0].routes[1].match: is required`.
import {
  type DescMessage,
  getOption,
  hasOption,
  isFieldSet,
  type Message,
  type Registry,
} from '@bufbuild/protobuf';
import { type Any, anyUnpack } from '@bufbuild/protobuf/wkt';
import { disabled, required } from '../../protos/gen/validate/validate_pb.js';
import type { Issue } from '../errors/index.js';
import { fieldCheck } from './pgv-rules.js';
import { XDS_REGISTRY } from './registry.js';

// Messages protobuf-es represents as plain JSON values: nothing inside carries PGV rules.
const JSON_TYPES = new Set(['google.protobuf.Struct', 'google.protobuf.Value', 'google.protobuf.ListValue']);

function join(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

function walkValue(desc: DescMessage, value: unknown, path: string, out: Issue[], registry: Registry) {
  if (typeof value !== 'object' || value === null || JSON_TYPES.has(desc.typeName)) return;
  if (desc.typeName === 'google.protobuf.Any') {
    const any = value as Any;
    if (any.typeUrl === '') return;
    const inner = anyUnpack(any, registry);
    if (!inner) {
      out.push({ path, message: `cannot check ${any.typeUrl}: type not in the registry` });
      return;
    }
    walk(registry.getMessage(inner.$typeName)!, inner, path, out, registry);
    return;
  }
  walk(desc, value as Message, path, out, registry);
}

function walk(desc: DescMessage, msg: Message, path: string, out: Issue[], registry: Registry) {
  if (hasOption(desc, disabled) && getOption(desc, disabled)) return;
  const m = msg as unknown as Record<string, unknown>;
  for (const oneof of desc.oneofs) {
    if (
      hasOption(oneof, required) &&
      getOption(oneof, required) &&
      (m[oneof.localName] as { case?: string }).case === undefined
    )
      out.push({
        path: join(path, oneof.name),
        message: `one of ${oneof.fields.map((f) => f.name).join(', ')} is required`,
      });
  }
  for (const field of desc.fields) {
    const present = isFieldSet(msg, field);
    const value = field.oneof
      ? (m[field.oneof.localName] as { case?: string; value?: unknown }).case === field.localName
        ? (m[field.oneof.localName] as { value: unknown }).value
        : undefined
      : m[field.localName];
    const p = join(path, field.name);
    const check = fieldCheck(field);
    if (check) check.check(value, present, p, out);
    if (!present || check?.skip) continue;
    if (field.fieldKind === 'message') walkValue(field.message, value, p, out, registry);
    else if (field.fieldKind === 'list' && field.listKind === 'message')
      for (const [i, v] of (value as unknown[]).entries())
        walkValue(field.message, v, `${p}[${i}]`, out, registry);
    else if (field.fieldKind === 'map' && field.mapKind === 'message')
      for (const [k, v] of Object.entries(value as Record<string, unknown>))
        walkValue(field.message, v, `${p}[${JSON.stringify(k)}]`, out, registry);
  }
}

/** Every PGV violation in `message` (of type `schema`), with paths relative to it. */
export function checkMessage(
  schema: DescMessage,
  message: Message,
  registry: Registry = XDS_REGISTRY,
): Issue[] {
  const out: Issue[] = [];
  walk(schema, message, '', out, registry);
  return out;
}
