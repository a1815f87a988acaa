// A full garbage collection on demand, in a process not started with --expose-gc (a vitest
// worker, a bench run through tsx): the flag set at run time exposes `gc` to contexts made
// after it, and a fresh one hands it over.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');

export const collectGarbage = runInNewContext('gc') as () => void;
