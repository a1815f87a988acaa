// ModelRoute YAML for tests, so that each one spells only the spec it is about.
import { parsePolicyFile } from '../../control-plane/policy/index.js';
import { PolicyValidationError } from '../../kernel/errors/index.js';

/** A ModelRoute document for `model` (metadata name = model, default namespace); `spec` is indented under spec:. */
export function policy(model: string, spec: string): string {
  const body = spec
    .trim()
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
  return `apiVersion: switchyard.dev/v1alpha1\nkind: ModelRoute\nmetadata: { name: ${model} }\nspec:\n  model: ${model}\n${body}\n`;
}

/**
 * The issues (`path: message`) a policy gets whose one match rule has `regex` as its header
 * regex; none when it is accepted.
 */
export function regexIssues(regex: string): string[] {
  const text = `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: p }
spec:
  model: m
  versions: [{ name: v1 }]
  match: [{ headers: { x-cohort: { regex: ${JSON.stringify(regex)} } }, version: v1 }]
`;
  try {
    parsePolicyFile(text, 'p.yaml');
    return [];
  } catch (err) {
    if (err instanceof PolicyValidationError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
}
