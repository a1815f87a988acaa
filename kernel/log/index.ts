// One structured logger for both programs; see docs/OPERATIONS.md, "Logs".
export { LogOptionError } from './errors.js';
export { LogThrottle, type ThrottledLine } from './log-throttle.js';
export { createLogger, type LogFields, type Logger, type LoggerOptions } from './logger.js';
export { type LogRecord, type MemoryLogger, memoryLogger } from './memory.js';
export {
  defaultLogLevel,
  LOG_FLAGS,
  type LogFormat,
  type LogLevel,
  type LogSettings,
  parseLogSettings,
} from './options.js';
export { RepeatedFailures } from './repeated-failures.js';
