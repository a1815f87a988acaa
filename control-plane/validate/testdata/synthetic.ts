// Message types built at run time, one field per rule under test, so the PGV checker can be
// exercised on rule kinds Envoy's protos use rarely or not at all (bytes lengths, string formats,
// map keys, Any allow-lists, bounds given outside-in). The annotations are real `validate.rules`
// extension values on the field options, read back through the same descriptors as generated code.
import {
  create,
  createFileRegistry,
  type DescMessage,
  type MessageInitShape,
  type Registry,
  setExtension,
} from '@bufbuild/protobuf';
import {
  type DescriptorProto,
  DescriptorProtoSchema,
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FieldDescriptorProtoSchema,
  type FieldOptions,
  FieldOptionsSchema,
  FileDescriptorProtoSchema,
  file_google_protobuf_any,
  file_google_protobuf_duration,
  file_google_protobuf_struct,
  file_google_protobuf_timestamp,
  MessageOptionsSchema,
  OneofDescriptorProtoSchema,
  OneofOptionsSchema,
} from '@bufbuild/protobuf/wkt';
import {
  disabled as disabledExt,
  FieldRulesSchema,
  file_validate_validate,
  required as requiredExt,
  rules as rulesExt,
} from '../../../protos/gen/validate/validate_pb.js';

export const T = FieldDescriptorProto_Type;

export interface FieldSpec {
  readonly name: string;
  readonly type: FieldDescriptorProto_Type;
  /** `.google.protobuf.Duration`, or `.probe.Color` for the probe's own enum. */
  readonly typeName?: string;
  readonly repeated?: boolean;
  /** A proto3 `optional` scalar (explicit presence). */
  readonly optional?: boolean;
  /** Index into `oneofs`. */
  readonly oneof?: number;
  readonly rules?: MessageInitShape<typeof FieldRulesSchema>;
  /** A map field: key and value types (the entry message is generated). */
  readonly map?: { key: FieldDescriptorProto_Type; value: FieldDescriptorProto_Type; valueTypeName?: string };
}

export interface ProbeSpec {
  readonly fields: readonly FieldSpec[];
  readonly oneofs?: readonly { name: string; required?: boolean }[];
  /** `option (validate.disabled) = true` on the message. */
  readonly disabled?: boolean;
}

const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const upperFirst = (s: string) => s[0]!.toUpperCase() + s.slice(1);

let serial = 0;

interface FieldExtra {
  options?: FieldOptions;
  typeName?: string;
  label?: FieldDescriptorProto_Label;
  oneofIndex?: number;
  proto3Optional?: boolean;
}

function field(
  name: string,
  number: number,
  type: FieldDescriptorProto_Type,
  extra: FieldExtra = {},
) {
  return create(FieldDescriptorProtoSchema, {
    name,
    number,
    type,
    jsonName: camel(name),
    label: FieldDescriptorProto_Label.OPTIONAL,
    ...extra,
  });
}

/** A fresh proto3 message type `probe<N>.Probe`, with an enum `Color` {RED=0, GREEN=1, BLUE=2}. */
export function probe(spec: ProbeSpec): { desc: DescMessage; registry: Registry } {
  const pkg = `probe${serial++}`;
  const entries: DescriptorProto[] = [];
  const oneofs = (spec.oneofs ?? []).map((o) => {
    const options = create(OneofOptionsSchema);
    if (o.required) setExtension(options, requiredExt, true);
    return create(OneofDescriptorProtoSchema, { name: o.name, options });
  });
  const fields = spec.fields.map((f, i) => {
    const options = create(FieldOptionsSchema);
    if (f.rules) setExtension(options, rulesExt, create(FieldRulesSchema, f.rules));
    const extra: FieldExtra = { options };
    if (f.typeName) extra.typeName = f.typeName.replace('.probe.', `.${pkg}.`);
    if (f.repeated) extra.label = FieldDescriptorProto_Label.REPEATED;
    if (f.oneof !== undefined) extra.oneofIndex = f.oneof;
    if (f.optional) {
      // proto3 `optional` is a synthetic oneof named after the field, declared after the real ones.
      extra.proto3Optional = true;
      extra.oneofIndex = oneofs.length;
      oneofs.push(create(OneofDescriptorProtoSchema, { name: `_${f.name}` }));
    }
    if (f.map) {
      const entry = `${upperFirst(camel(f.name))}Entry`;
      entries.push(
        create(DescriptorProtoSchema, {
          name: entry,
          field: [
            field('key', 1, f.map.key),
            field('value', 2, f.map.value, {
              ...(f.map.valueTypeName ? { typeName: f.map.valueTypeName.replace('.probe.', `.${pkg}.`) } : {}),
            }),
          ],
          options: { mapEntry: true },
        }),
      );
      extra.label = FieldDescriptorProto_Label.REPEATED;
      extra.typeName = `.${pkg}.Probe.${entry}`;
    }
    return field(f.name, i + 1, f.type, extra);
  });
  const messageOptions = create(MessageOptionsSchema);
  if (spec.disabled) setExtension(messageOptions, disabledExt, true);
  const file = create(FileDescriptorProtoSchema, {
    name: `${pkg}.proto`,
    package: pkg,
    syntax: 'proto3',
    dependency: [
      'validate/validate.proto',
      'google/protobuf/any.proto',
      'google/protobuf/duration.proto',
      'google/protobuf/struct.proto',
      'google/protobuf/timestamp.proto',
    ],
    messageType: [
      { name: 'Probe', field: fields, nestedType: entries, oneofDecl: oneofs, options: messageOptions },
    ],
    enumType: [
      {
        name: 'Color',
        value: [
          { name: 'RED', number: 0 },
          { name: 'GREEN', number: 1 },
          { name: 'BLUE', number: 2 },
        ],
      },
    ],
  });
  const deps = [
    file_validate_validate,
    file_google_protobuf_any,
    file_google_protobuf_duration,
    file_google_protobuf_struct,
    file_google_protobuf_timestamp,
  ];
  const registry = createFileRegistry(file, (name) => deps.find((d) => d.proto.name === name));
  return { desc: registry.getMessage(`${pkg}.Probe`)!, registry };
}
