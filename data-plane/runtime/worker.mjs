// Worker-thread entry. Worker threads do not inherit tsx's loader from the thread that spawns
// them (switchyard.mjs registers it programmatically, vitest uses its own), so this plain-JS
// bootstrap loads the session worker from the prebuilt bundle when that is fresh (as the
// launcher does: kernel/bundle/fresh.mjs), and otherwise registers tsx and loads the TypeScript.
import { fileURLToPath } from 'node:url';
import { freshBundle } from '../../kernel/bundle/fresh.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bundle = freshBundle(root, 'session-worker');
if (bundle.entry) await import(bundle.entry);
else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./session-worker.ts');
}
