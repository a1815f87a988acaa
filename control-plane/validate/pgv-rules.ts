// Compiles the protoc-gen-validate annotation of one field (`(validate.rules)`) into a check
// function, once per field descriptor. Only rules the annotation actually sets are checked
// (validate.proto is proto2: presence tells "gte: 0" from "no gte").
import {
  type DescEnum,
  type DescField,
  type DescMessage,
  getOption,
  hasOption,
  isFieldSet,
  type Message,
} from '@bufbuild/protobuf';
import type { Duration } from '@bufbuild/protobuf/wkt';
import type { Issue } from '../../kernel/errors/index.js';
import {
  AnyRulesSchema,
  BytesRulesSchema,
  DurationRulesSchema,
  EnumRulesSchema,
  type FieldRules,
  file_validate_validate,
  MapRulesSchema,
  MessageRulesSchema,
  RepeatedRulesSchema,
  rules as rulesExt,
  StringRulesSchema,
  TimestampRulesSchema,
} from '../../protos/gen/validate/validate_pb.js';
import { headerTest, isEmail, isHostname, isIpv4, isIpv6, isUri, isUuid } from './formats.js';

export type ValueCheck = (value: unknown, path: string, out: Issue[]) => void;

export interface FieldCheck {
  /** Checks the field's value; `present` is false for an unset field with explicit presence. */
  readonly check: (value: unknown, present: boolean, path: string, out: Issue[]) => void;
  /** `(validate.rules).message.skip`: do not descend into the message. */
  readonly skip: boolean;
}

/** The fields an annotation sets, by local name (oneof members included). */
function setFields(desc: DescMessage, msg: Message): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const m = msg as unknown as Record<string, { case?: string; value?: unknown } | unknown>;
  for (const f of desc.fields) {
    if (!isFieldSet(msg, f)) continue;
    out[f.localName] = f.oneof ? (m[f.oneof.localName] as { value: unknown }).value : m[f.localName];
  }
  return out;
}

type Num = number | bigint;
function cmp(a: Num, b: Num): number {
  if (typeof a === typeof b) return a < b ? -1 : a > b ? 1 : 0;
  const x = typeof a === 'bigint' ? a : BigInt(Math.trunc(a));
  const y = typeof b === 'bigint' ? b : BigInt(Math.trunc(b));
  return x < y ? -1 : x > y ? 1 : 0;
}

const durationNs = (d: Duration): bigint => d.seconds * 1_000_000_000n + BigInt(d.nanos);
const show = (v: unknown) => (typeof v === 'bigint' ? v.toString() : JSON.stringify(v));

/** const / lt / lte / gt / gte / in / not_in over anything `key` maps to a number. */
function rangeChecks(
  r: Record<string, unknown>,
  key: (v: unknown) => Num,
  fmt: (v: unknown) => string,
): ValueCheck[] {
  const checks: ValueCheck[] = [];
  if ('const' in r)
    checks.push(
      (v, p, o) =>
        cmp(key(v), key(r.const)) !== 0 && o.push({ path: p, message: `must equal ${fmt(r.const)}` }),
    );
  const lower = 'gt' in r ? { v: r.gt, strict: true } : 'gte' in r ? { v: r.gte, strict: false } : undefined;
  const upper = 'lt' in r ? { v: r.lt, strict: true } : 'lte' in r ? { v: r.lte, strict: false } : undefined;
  const above = (v: unknown) =>
    !lower || (lower.strict ? cmp(key(v), key(lower.v)) > 0 : cmp(key(v), key(lower.v)) >= 0);
  const below = (v: unknown) =>
    !upper || (upper.strict ? cmp(key(v), key(upper.v)) < 0 : cmp(key(v), key(upper.v)) <= 0);
  const lowerText = lower ? `${lower.strict ? '>' : '>='} ${fmt(lower.v)}` : '';
  const upperText = upper ? `${upper.strict ? '<' : '<='} ${fmt(upper.v)}` : '';
  if (lower && upper && cmp(key(upper.v), key(lower.v)) < 0) {
    // PGV: an upper bound below the lower bound means "outside the range".
    checks.push(
      (v, p, o) =>
        !(above(v) || below(v)) && o.push({ path: p, message: `must be ${lowerText} or ${upperText}` }),
    );
  } else if (lower || upper) {
    const text = [lowerText, upperText].filter(Boolean).join(' and ');
    checks.push((v, p, o) => !(above(v) && below(v)) && o.push({ path: p, message: `must be ${text}` }));
  }
  if (Array.isArray(r.in) && r.in.length)
    checks.push(
      (v, p, o) =>
        !(r.in as unknown[]).some((x) => cmp(key(v), key(x)) === 0) &&
        o.push({ path: p, message: `must be one of ${(r.in as unknown[]).map(fmt).join(', ')}` }),
    );
  if (Array.isArray(r.notIn) && r.notIn.length)
    checks.push(
      (v, p, o) =>
        (r.notIn as unknown[]).some((x) => cmp(key(v), key(x)) === 0) &&
        o.push({ path: p, message: `must not be one of ${(r.notIn as unknown[]).map(fmt).join(', ')}` }),
    );
  return checks;
}

const utf8 = new TextEncoder();

function regexFrom(pattern: string): RegExp {
  // RE2's inline case-insensitive flag is spelled as a JavaScript flag.
  return pattern.startsWith('(?i)') ? new RegExp(pattern.slice(4), 'iu') : new RegExp(pattern, 'u');
}

function stringChecks(r: Record<string, unknown>, strictDefault: boolean): ValueCheck[] {
  const c: ValueCheck[] = [];
  const len = (s: string) => [...s].length;
  const bytes = (s: string) => utf8.encode(s).length;
  const bound = (
    name: string,
    measure: (s: string) => number,
    test: (n: number, limit: number) => boolean,
    what: string,
  ) => {
    if (name in r) {
      const limit = Number(r[name]);
      c.push(
        (v, p, o) =>
          !test(measure(v as string), limit) &&
          o.push({ path: p, message: what.replace('N', String(limit)) }),
      );
    }
  };
  bound('len', len, (n, l) => n === l, 'must be exactly N character(s)');
  bound('minLen', len, (n, l) => n >= l, 'must be at least N character(s) long');
  bound('maxLen', len, (n, l) => n <= l, 'must be at most N character(s) long');
  bound('lenBytes', bytes, (n, l) => n === l, 'must be exactly N byte(s)');
  bound('minBytes', bytes, (n, l) => n >= l, 'must be at least N byte(s) long');
  bound('maxBytes', bytes, (n, l) => n <= l, 'must be at most N byte(s) long');
  if ('const' in r)
    c.push((v, p, o) => v !== r.const && o.push({ path: p, message: `must equal ${show(r.const)}` }));
  if ('pattern' in r) {
    const re = regexFrom(r.pattern as string);
    c.push(
      (v, p, o) =>
        !re.test(v as string) && o.push({ path: p, message: `must match pattern ${show(r.pattern)}` }),
    );
  }
  for (const [k, f, what] of [
    ['prefix', (s: string, x: string) => s.startsWith(x), 'must start with'],
    ['suffix', (s: string, x: string) => s.endsWith(x), 'must end with'],
    ['contains', (s: string, x: string) => s.includes(x), 'must contain'],
    ['notContains', (s: string, x: string) => !s.includes(x), 'must not contain'],
  ] as const) {
    if (k in r)
      c.push(
        (v, p, o) => !f(v as string, r[k] as string) && o.push({ path: p, message: `${what} ${show(r[k])}` }),
      );
  }
  if (Array.isArray(r.in) && r.in.length)
    c.push(
      (v, p, o) =>
        !(r.in as string[]).includes(v as string) &&
        o.push({ path: p, message: `must be one of ${(r.in as string[]).map(show).join(', ')}` }),
    );
  if (Array.isArray(r.notIn) && r.notIn.length)
    c.push(
      (v, p, o) =>
        (r.notIn as string[]).includes(v as string) &&
        o.push({ path: p, message: `must not be one of ${(r.notIn as string[]).map(show).join(', ')}` }),
    );
  const formats: Record<string, [(s: string) => boolean, string]> = {
    email: [isEmail, 'an email address'],
    hostname: [isHostname, 'a hostname'],
    ip: [(s) => isIpv4(s) || isIpv6(s), 'an IP address'],
    ipv4: [isIpv4, 'an IPv4 address'],
    ipv6: [isIpv6, 'an IPv6 address'],
    uri: [isUri, 'an absolute URI'],
    uriRef: [() => true, 'a URI reference'],
    address: [(s) => isHostname(s) || isIpv4(s) || isIpv6(s), 'a hostname or IP address'],
    uuid: [isUuid, 'a UUID'],
  };
  for (const [k, [test, what]] of Object.entries(formats)) {
    if (r[k] === true)
      c.push((v, p, o) => !test(v as string) && o.push({ path: p, message: `must be ${what}` }));
  }
  if ('wellKnownRegex' in r) {
    const strict = 'strict' in r ? (r.strict as boolean) : strictDefault;
    const test = headerTest(r.wellKnownRegex as number, strict);
    const what = r.wellKnownRegex === 1 ? 'a valid HTTP header name' : 'a valid HTTP header value';
    if (test) c.push((v, p, o) => !test(v as string) && o.push({ path: p, message: `must be ${what}` }));
  }
  return c;
}

function bytesChecks(r: Record<string, unknown>): ValueCheck[] {
  const c: ValueCheck[] = [];
  const size = (v: unknown) => (v as Uint8Array).length;
  if ('len' in r)
    c.push(
      (v, p, o) =>
        size(v) !== Number(r.len) && o.push({ path: p, message: `must be exactly ${r.len} byte(s)` }),
    );
  if ('minLen' in r)
    c.push(
      (v, p, o) =>
        size(v) < Number(r.minLen) && o.push({ path: p, message: `must be at least ${r.minLen} byte(s)` }),
    );
  if ('maxLen' in r)
    c.push(
      (v, p, o) =>
        size(v) > Number(r.maxLen) && o.push({ path: p, message: `must be at most ${r.maxLen} byte(s)` }),
    );
  return c;
}

function enumChecks(r: Record<string, unknown>, desc: DescEnum | undefined): ValueCheck[] {
  const c = rangeChecks(r, (v) => v as number, show);
  if (r.definedOnly === true && desc) {
    const known = new Set(desc.values.map((x) => x.number));
    c.push(
      (v, p, o) =>
        !known.has(v as number) &&
        o.push({ path: p, message: `${show(v)} is not a defined ${desc.name} value` }),
    );
  }
  return c;
}

/** Checks for one value (not a list or map) under the rule type the annotation chose. */
function valueChecks(
  rules: FieldRules,
  enumDesc: DescEnum | undefined,
): { checks: ValueCheck[]; ignoreEmpty: boolean } {
  const t = rules.type;
  switch (t.case) {
    case undefined:
    case 'repeated':
    case 'map':
      return { checks: [], ignoreEmpty: false };
    case 'string': {
      const r = setFields(StringRulesSchema, t.value);
      return { checks: stringChecks(r, true), ignoreEmpty: r.ignoreEmpty === true };
    }
    case 'bytes':
      return { checks: bytesChecks(setFields(BytesRulesSchema, t.value)), ignoreEmpty: false };
    case 'enum':
      return { checks: enumChecks(setFields(EnumRulesSchema, t.value), enumDesc), ignoreEmpty: false };
    case 'duration': {
      const r = setFields(DurationRulesSchema, t.value);
      return {
        checks: rangeChecks(
          r,
          (v) => durationNs(v as Duration),
          (v) => `${Number(durationNs(v as Duration)) / 1e9}s`,
        ),
        ignoreEmpty: false,
      };
    }
    case 'timestamp': {
      const r = setFields(TimestampRulesSchema, t.value);
      // Shown as UTC times: JSON.stringify cannot write a Timestamp's bigint seconds.
      const utc = (v: unknown) => new Date(Number(durationNs(v as Duration) / 1_000_000n)).toISOString();
      return { checks: rangeChecks(r, (v) => durationNs(v as Duration), utc), ignoreEmpty: false };
    }
    case 'any': {
      const r = setFields(AnyRulesSchema, t.value);
      const c: ValueCheck[] = [];
      const url = (v: unknown) => (v as { typeUrl: string }).typeUrl;
      if (Array.isArray(r.in) && r.in.length)
        c.push(
          (v, p, o) =>
            !(r.in as string[]).includes(url(v)) &&
            o.push({ path: p, message: `type ${url(v)} is not allowed here` }),
        );
      if (Array.isArray(r.notIn) && r.notIn.length)
        c.push(
          (v, p, o) =>
            (r.notIn as string[]).includes(url(v)) &&
            o.push({ path: p, message: `type ${url(v)} is not allowed here` }),
        );
      return { checks: c, ignoreEmpty: false };
    }
    default: {
      // Numbers and bool: FloatRules ... SFixed64Rules and BoolRules share const/lt/lte/gt/gte/in/not_in.
      const r = setFields(RULE_DESCS.get(t.value.$typeName)!, t.value);
      return {
        checks: rangeChecks(r, (v) => (typeof v === 'boolean' ? Number(v) : (v as Num)), show),
        ignoreEmpty: false,
      };
    }
  }
}

const RULE_DESCS = new Map(file_validate_validate.messages.map((m) => [m.typeName, m]));

function run(checks: readonly ValueCheck[], value: unknown, path: string, out: Issue[]) {
  for (const c of checks) c(value, path, out);
}

const isEmpty = (v: unknown) =>
  v === '' || v === 0 || v === 0n || v === false || (v instanceof Uint8Array && v.length === 0);

function listCheck(field: DescField, rules: FieldRules, skip: boolean): FieldCheck {
  const r = rules.type.case === 'repeated' ? setFields(RepeatedRulesSchema, rules.type.value) : {};
  const item = r.items ? valueChecks(r.items as FieldRules, field.enum) : undefined;
  return {
    skip: skip || (r.items as FieldRules | undefined)?.message?.skip === true,
    check(value, _present, path, out) {
      const list = value as unknown[];
      if ('minItems' in r && list.length < Number(r.minItems))
        out.push({ path, message: `must have at least ${r.minItems} item(s)` });
      if ('maxItems' in r && list.length > Number(r.maxItems))
        out.push({ path, message: `must have at most ${r.maxItems} item(s)` });
      if (r.unique === true && new Set(list.map(show)).size !== list.length)
        out.push({ path, message: 'items must be unique' });
      if (item)
        for (let i = 0; i < list.length; i++) {
          if (!(item.ignoreEmpty && isEmpty(list[i]))) run(item.checks, list[i], `${path}[${i}]`, out);
        }
    },
  };
}

function mapCheck(field: DescField, rules: FieldRules, skip: boolean): FieldCheck {
  const r = rules.type.case === 'map' ? setFields(MapRulesSchema, rules.type.value) : {};
  const keys = r.keys ? valueChecks(r.keys as FieldRules, undefined) : undefined;
  const values = r.values ? valueChecks(r.values as FieldRules, field.enum) : undefined;
  return {
    skip,
    check(value, _present, path, out) {
      const entries = Object.entries(value as Record<string, unknown>);
      if ('minPairs' in r && entries.length < Number(r.minPairs))
        out.push({ path, message: `must have at least ${r.minPairs} entr(ies)` });
      if ('maxPairs' in r && entries.length > Number(r.maxPairs))
        out.push({ path, message: `must have at most ${r.maxPairs} entr(ies)` });
      for (const [k, v] of entries) {
        // A key or value rule's own ignore_empty skips that empty key or value, as for list items.
        if (keys && !(keys.ignoreEmpty && isEmpty(k))) run(keys.checks, k, `${path}[${show(k)}]`, out);
        if (values && !(values.ignoreEmpty && isEmpty(v))) run(values.checks, v, `${path}[${show(k)}]`, out);
      }
    },
  };
}

// FeatureSet.FieldPresence.IMPLICIT: a proto3 scalar without `optional`; its zero value is its value.
const IMPLICIT = 2;

function compile(field: DescField): FieldCheck | undefined {
  if (!hasOption(field, rulesExt)) return undefined;
  const rules = getOption(field, rulesExt);
  const msgRules = rules.message ? setFields(MessageRulesSchema, rules.message) : {};
  const skip = msgRules.skip === true;
  if (field.fieldKind === 'list') return listCheck(field, rules, skip);
  if (field.fieldKind === 'map') return mapCheck(field, rules, skip);
  const t = rules.type;
  const required =
    msgRules.required === true ||
    ((t.case === 'any' || t.case === 'duration' || t.case === 'timestamp') && t.value.required);
  const implicit = field.fieldKind !== 'message' && field.oneof === undefined && field.presence === IMPLICIT;
  const { checks, ignoreEmpty } = valueChecks(rules, field.enum);
  return {
    skip,
    check(value, present, path, out) {
      // A oneof member's rules hold only when that member is the one set.
      if (!present && field.oneof !== undefined) return;
      if (!present && required) {
        out.push({ path, message: 'is required' });
        return;
      }
      if (!present && !implicit) return;
      if (ignoreEmpty && isEmpty(value)) return;
      run(checks, value, path, out);
    },
  };
}

const compiled = new WeakMap<DescField, FieldCheck | null>();

/** The compiled PGV check for a field, or undefined when the field has no annotation. */
export function fieldCheck(field: DescField): FieldCheck | undefined {
  let c = compiled.get(field);
  if (c === undefined) {
    c = compile(field) ?? null;
    compiled.set(field, c);
  }
  return c ?? undefined;
}
