// The pod command alone, for an esbuild bundle that runs without tsx (the GPU check's bundle).

import { DATA_PLANE_COMMANDS } from '../../../data-plane/cli/commands.js';
import { dispatch } from '../../../kernel/cli/dispatch.js';

process.exitCode = await dispatch(DATA_PLANE_COMMANDS, process.argv.slice(2));
