// Policy files to validated ModelRoutes: YAML (several documents per file allowed), then the
// field schema, then the cross-field rules, then the checks between documents of the file.
// Every problem is reported at once; nothing half-valid is returned.
import { type Document, LineCounter, parseAllDocuments } from 'yaml';
import { type Issue, PolicyParseError, PolicyValidationError } from '../../kernel/errors/index.js';
import { didYouMean } from './did-you-mean.js';
import { MODEL_ROUTE_FIELDS } from './model-route-schema.js';
import { checkPolicySet } from './policy-set.js';
import { withRe2Budget } from './re2.js';
import { applyRules } from './rules.js';
import { checkObject, isPlainObject } from './schema.js';
import { API_VERSION, KIND, type ModelRoute } from './types.js';

/** Alias expansions one document may make; YAML's own default, stated so both readers agree. */
const MAX_ALIAS_COUNT = 100;

// Routes are frozen: the translator memoizes its output by route identity, so a route changed
// in place would keep serving stale resources. A change is a new route.
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Validate one already-parsed document (a YAML or JSON object); issues go to `out`. */
export function validatePolicy(value: unknown, out: Issue[]): ModelRoute | undefined {
  const local: Issue[] = [];
  const doc = withRe2Budget(() => checkObject(MODEL_ROUTE_FIELDS, value, '', local));
  // Cross-field rules run even after schema problems, so one pass reports everything.
  const route = doc ? applyRules(doc, local) : undefined;
  out.push(...local);
  return local.length === 0 && route ? deepFreeze(route) : undefined;
}

/**
 * apiVersion and kind say what a document is: anything else is not a ModelRoute at all
 * (SY_POLICY_PARSE), whether it came from a file or through the API.
 */
export function checkPolicyHeader(value: unknown, source: string, where = ''): void {
  if (!isPlainObject(value))
    throw new PolicyParseError(source, `${where}is not a mapping (a ModelRoute document)`);
  if (value.kind !== KIND)
    throw new PolicyParseError(
      source,
      `${where}kind ${JSON.stringify(value.kind)} is not ${KIND}${typeof value.kind === 'string' ? didYouMean(value.kind, [KIND]) : ''}`,
    );
  if (value.apiVersion !== API_VERSION)
    throw new PolicyParseError(
      source,
      `${where}apiVersion ${JSON.stringify(value.apiVersion)} is not ${API_VERSION}${typeof value.apiVersion === 'string' ? didYouMean(value.apiVersion, [API_VERSION]) : ''}`,
    );
}

/**
 * The document as plain data. Aliases are expanded here, and a document whose aliases would
 * expand without bound (a "billion laughs" file) is malformed input, not a server failure.
 */
export function documentValue(d: Document, source: string, where = ''): unknown {
  try {
    return d.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    throw new PolicyParseError(source, `${where}${(err as Error).message}`);
  }
}

/**
 * Parse and validate a policy file. Throws PolicyParseError when it is not YAML or not a
 * ModelRoute, PolicyValidationError (with every issue) when a document breaks a rule.
 */
export function parsePolicyFile(text: string, source: string): ModelRoute[] {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: false, lineCounter: lines });
  if (!Array.isArray(docs)) return [];
  const values: unknown[] = [];
  docs.forEach((d, i) => {
    const where = docs.length > 1 ? `document ${i + 1}: ` : '';
    const err = d.errors[0];
    if (err) {
      const { line, col } = lines.linePos(err.pos[0]);
      throw new PolicyParseError(source, `${where}line ${line}:${col}: ${err.message}`);
    }
    const value = documentValue(d, source, where);
    if (value === null || value === undefined) return; // an empty document (a trailing ---)
    checkPolicyHeader(value, source, where);
    values.push(value);
  });
  const issues: Issue[] = [];
  const routes: ModelRoute[] = [];
  values.forEach((value, i) => {
    const local: Issue[] = [];
    const route = validatePolicy(value, local);
    const prefix = values.length > 1 ? `documents[${i}].` : '';
    issues.push(...local.map((x) => ({ path: prefix + x.path, message: x.message })));
    if (route) routes.push(route);
  });
  if (issues.length === 0) issues.push(...checkPolicySet(routes));
  if (issues.length > 0) throw new PolicyValidationError(source, issues);
  return routes;
}
