// Endpoint discovery's public surface: the runner the control plane starts, its settings, the
// latency objectives it tunes against and the operators' view of the table. `model/` is pure
// state and tuning (time passed in, no I/O); `runner/` is the NATS and timer side.
export {
  emptyTotals,
  type FiguresSummary,
  type IntervalTotals,
  summarize,
  totalsBetween,
  type VersionFigures,
} from './model/figures.js';
export { latencyObjectives } from './model/objectives.js';
export type { EndpointStatus } from './model/table.js';
export {
  type DiscoveryInput,
  type DiscoveryOptions,
  defaultDiscoveryOptions,
  parseDiscoveryOptions,
} from './options.js';
export { EndpointDiscovery } from './runner/discovery.js';
