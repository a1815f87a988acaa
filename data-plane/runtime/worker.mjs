// Worker-thread entry. Worker threads do not inherit tsx's loader from the thread that spawns
// them (switchyard.mjs registers it programmatically, vitest uses its own), so this plain-JS bootstrap
// registers tsx and then loads the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./session-worker.ts');
