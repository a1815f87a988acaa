// The data plane's `switchyard` command: `pod`, loaded only when run. The launcher
// (switchyard.mjs) lists it beside the control plane's commands.
import type { Commands } from '../../kernel/cli/dispatch.js';

export const DATA_PLANE_COMMANDS = {
  pod: {
    summary: 'run a data-plane pod: ONNX Runtime behind the KServe v2 gRPC and HTTP APIs',
    server: true,
    load: () => import('./pod.js'),
  },
} as const satisfies Commands;
