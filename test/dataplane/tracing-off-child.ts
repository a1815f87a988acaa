// Run by tracing-off.test.ts in a child process: records every module specifier naming
// @opentelemetry that gets resolved while a pod starts, serves one request and closes, with
// tracing on or off (argv[2]), into the file named by argv[3].
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';

const [mode, out] = process.argv.slice(2) as ['on' | 'off', string];
const hooks = `
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  if (specifier.includes('@opentelemetry')) appendFileSync(${JSON.stringify(out)}, specifier + '\\n');
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
appendFileSync(out, '');

const { modelRepoCopy, startTestPod } = await import('./harness.js');
const { MLP } = await import('../../data-plane/models/catalog.js');
const repo = await modelRepoCopy(['mlp']);
const pod = await startTestPod(repo.dir, {
  ...(mode === 'on' ? { tracing: { endpoint: 'http://127.0.0.1:9/v1/traces', sampleRatio: 1 } } : {}),
});
const res = await fetch(`http://127.0.0.1:${pod.ports.http}/v2/models/mlp/infer`, {
  method: 'POST',
  body: JSON.stringify({
    inputs: [{ name: 'input', datatype: 'FP32', shape: [1, MLP.inputs], data: Array(MLP.inputs).fill(0) }],
  }),
});
await pod.close();
await repo.cleanup();
process.stdout.write(`status ${res.status}\n`);
process.exit(0);
