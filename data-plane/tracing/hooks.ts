// What the serving path tells about one request as it moves: which version it resolved to, when
// it entered and left the batcher's queue, and how its batch ran. The batcher and the inference
// service call these without knowing whether anything listens (tracing off: a log line only).
export interface RequestHooks {
  /** The version the request resolved to. */
  resolved(model: string, version: string): void;
  /** It entered the batcher's queue. */
  queued(): void;
  /** It left the queue in a run of `rows` rows merged from `requests` requests. */
  dequeued(rows: number, requests: number): void;
  /** Its run came back; `computeMs` of it were session.run in the worker. */
  ran(computeMs: number): void;
}
