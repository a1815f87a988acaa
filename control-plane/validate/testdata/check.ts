// One probe message per call: `check1(type, rules, value)` builds a type with a single field `f`
// carrying `rules` and returns the checker's issues for a message with `f = value`.
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import type { Issue } from '../../../kernel/errors/index.js';
import type { FieldRulesSchema } from '../../../protos/gen/validate/validate_pb.js';
import { checkMessage } from '../pgv.js';
import { type FieldSpec, type ProbeSpec, probe } from './synthetic.js';

export type Rules = MessageInitShape<typeof FieldRulesSchema>;

export function checkProbe(spec: ProbeSpec | readonly FieldSpec[], init: Record<string, unknown>): Issue[] {
  const { desc, registry } = probe(Array.isArray(spec) ? { fields: spec } : (spec as ProbeSpec));
  return checkMessage(desc, create(desc, init as never), registry);
}

/** Issues of a message whose only field `f` has `rules`; `value` undefined leaves it unset. */
export function check1(
  type: FieldSpec['type'],
  rules: Rules,
  value: unknown,
  extra: Partial<FieldSpec> = {},
): Issue[] {
  return checkProbe([{ name: 'f', type, rules, ...extra }], value === undefined ? {} : { f: value });
}

/** The messages alone, for tests where the path is always `f`. */
export const messages = (issues: Issue[]) => issues.map((i) => (i.path === 'f' ? i.message : `${i.path}: ${i.message}`));
