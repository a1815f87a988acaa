// Worker-thread entry for policy-diff.ts: a policy at the size limits renders to thousands of
// lines of YAML, and rendering and diffing two of them holds a thread for tens of milliseconds
// (more for two unrelated documents), so it runs here, never on the admin API's event loop.
// Plain JS, so it needs no TypeScript loader in the worker. Each message is one diff, answered
// with the same id.
import { parentPort } from 'node:worker_threads';
import { createTwoFilesPatch } from 'diff';
import { stringify } from 'yaml';

// The effective policy (defaults filled) as YAML: what diffs compare.
const yamlOf = (route) => (route ? stringify(route) : '');

parentPort.on('message', ({ id, before, after, oldName, newName, audit }) => {
  try {
    const a = yamlOf(before);
    const b = yamlOf(after);
    const changed = a !== b;
    // An audit record always carries a patch (its header names the policy); a diff for a
    // reader is empty when nothing changed.
    let diff = '';
    if (audit) diff = createTwoFilesPatch(oldName, newName, a, b, '', '', { context: 2 });
    else if (changed) diff = createTwoFilesPatch(oldName, newName, a, b);
    parentPort.postMessage({ id, changed, diff });
  } catch (err) {
    parentPort.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  }
});
