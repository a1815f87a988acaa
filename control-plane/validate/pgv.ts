// The protoc-gen-validate checker: walks a message recursively (into google.protobuf.Any
// payloads too, unpacked with the shared registry) and applies the `validate.rules`,
// `validate.required` (oneofs) and `validate.disabled` annotations found in the generated
// descriptors. Problems come back as data, path-prefixed the way gRPC reports them:
// `virtual_hosts[0].routes[1].match: is required`.
//
// It runs before every snapshot is published, over ~100 messages per model, so two things keep
// it cheap: a plan per message type lists only the fields that carry rules or lead to nested
// messages, and verdicts are cached per message object (translated messages are immutable and
// shared), so unchanged sub-trees are not walked again.
import {
  type DescField,
  type DescMessage,
  type DescOneof,
  getOption,
  hasOption,
  type Message,
  type Registry,
} from '@bufbuild/protobuf';
import { type Any, anyUnpack } from '@bufbuild/protobuf/wkt';
import type { Issue } from '../../kernel/errors/index.js';
import { disabled, required } from '../../protos/gen/validate/validate_pb.js';
import { XDS_REGISTRY } from '../resources/index.js';
import { type FieldCheck, fieldCheck } from './pgv-rules.js';

// Messages protobuf-es represents as plain JSON values: nothing inside carries PGV rules.
const JSON_TYPES = new Set(['google.protobuf.Struct', 'google.protobuf.Value', 'google.protobuf.ListValue']);

interface FieldPlan {
  readonly field: DescField;
  readonly name: string;
  readonly localName: string;
  readonly oneof?: string;
  readonly check?: FieldCheck;
  /** The message type to descend into (singular, list items or map values). */
  readonly nested?: DescMessage;
}

interface Plan {
  readonly disabled: boolean;
  readonly requiredOneofs: readonly DescOneof[];
  readonly fields: readonly FieldPlan[];
}

const plans = new WeakMap<DescMessage, Plan>();

function planOf(desc: DescMessage): Plan {
  let plan = plans.get(desc);
  if (plan) return plan;
  const fields: FieldPlan[] = [];
  for (const field of desc.fields) {
    const check = fieldCheck(field);
    const nested =
      field.fieldKind === 'message' ||
      (field.fieldKind === 'list' && field.listKind === 'message') ||
      (field.fieldKind === 'map' && field.mapKind === 'message')
        ? field.message
        : undefined;
    if (!check && (!nested || JSON_TYPES.has(nested.typeName))) continue;
    fields.push({
      field,
      name: field.name,
      localName: field.localName,
      ...(field.oneof ? { oneof: field.oneof.localName } : {}),
      ...(check ? { check } : {}),
      ...(nested && !JSON_TYPES.has(nested.typeName) && !check?.skip ? { nested } : {}),
    });
  }
  plan = {
    disabled: hasOption(desc, disabled) && getOption(desc, disabled),
    requiredOneofs: desc.oneofs.filter((o) => hasOption(o, required) && getOption(o, required)),
    fields,
  };
  plans.set(desc, plan);
  return plan;
}

// Verdicts per message object, with paths relative to it.
const verdicts = new WeakMap<object, readonly Issue[]>();

function join(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

function prefixed(prefix: string, issues: readonly Issue[], out: Issue[]) {
  for (const i of issues) out.push({ path: i.path ? join(prefix, i.path) : prefix, message: i.message });
}

/** Issues of one (nested) message value, relative to it; cached by object identity. */
function verdictOf(desc: DescMessage, value: object, registry: Registry): readonly Issue[] {
  let v = verdicts.get(value);
  if (v) return v;
  const out: Issue[] = [];
  if (desc.typeName === 'google.protobuf.Any') {
    const any = value as Any;
    if (any.typeUrl !== '') {
      const inner = anyUnpack(any, registry);
      if (!inner) out.push({ path: '', message: `cannot check ${any.typeUrl}: type not in the registry` });
      else walk(registry.getMessage(inner.$typeName)!, inner, out, registry);
    }
  } else {
    walk(desc, value as Message, out, registry);
  }
  v = out.length ? out : NONE;
  verdicts.set(value, v);
  return v;
}
const NONE: readonly Issue[] = Object.freeze([]);

function descend(desc: DescMessage, value: unknown, path: string, out: Issue[], registry: Registry) {
  if (typeof value !== 'object' || value === null) return; // an unboxed wrapper value
  const v = verdictOf(desc, value, registry);
  if (v.length) prefixed(path, v, out);
}

function walk(desc: DescMessage, msg: Message, out: Issue[], registry: Registry) {
  const plan = planOf(desc);
  if (plan.disabled) return;
  const m = msg as unknown as Record<string, unknown>;
  for (const oneof of plan.requiredOneofs) {
    if ((m[oneof.localName] as { case?: string }).case === undefined)
      out.push({
        path: oneof.name,
        message: `one of ${oneof.fields.map((f) => f.name).join(', ')} is required`,
      });
  }
  for (const f of plan.fields) {
    let value: unknown;
    let present: boolean;
    if (f.oneof) {
      const o = m[f.oneof] as { case?: string; value?: unknown };
      present = o.case === f.localName;
      value = present ? o.value : undefined;
    } else {
      value = m[f.localName];
      const kind = f.field.fieldKind;
      present =
        kind === 'list'
          ? (value as unknown[]).length > 0
          : kind === 'map'
            ? Object.keys(value as object).length > 0
            : value !== undefined;
    }
    if (f.check) f.check.check(value, present, f.name, out);
    if (!present || !f.nested) continue;
    const kind = f.field.fieldKind;
    if (kind === 'message') descend(f.nested, value, f.name, out, registry);
    else if (kind === 'list') {
      const list = value as unknown[];
      for (let i = 0; i < list.length; i++) descend(f.nested, list[i], `${f.name}[${i}]`, out, registry);
    } else {
      for (const [k, v] of Object.entries(value as Record<string, unknown>))
        descend(f.nested, v, `${f.name}[${JSON.stringify(k)}]`, out, registry);
    }
  }
}

/** Every PGV violation in `message` (of type `schema`), with paths relative to it. */
export function checkMessage(
  schema: DescMessage,
  message: Message,
  registry: Registry = XDS_REGISTRY,
): Issue[] {
  return [...verdictOf(schema, message, registry)];
}
