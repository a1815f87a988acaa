// ModelRoute YAML for tests, so that each one spells only the spec it is about.

/** A ModelRoute document for `model` (metadata name = model, default namespace); `spec` is indented under spec:. */
export function policy(model: string, spec: string): string {
  const body = spec
    .trim()
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
  return `apiVersion: switchyard.dev/v1alpha1\nkind: ModelRoute\nmetadata: { name: ${model} }\nspec:\n  model: ${model}\n${body}\n`;
}
