// A request scope without tracing makes its id only when something reads it (a gRPC answer does
// not carry it; a log line does): the id read is the one requestIdOf would have made at once,
// made once, and a caller's unsafe id is escaped once, not again on a later read.
import { Metadata } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { memoryLogger } from '../../kernel/log/index.js';
import { REQUEST_ID_HEADER } from './request-id.js';
import { RequestScopes } from './request-scope.js';

function call(id?: string) {
  const metadata = new Metadata();
  return { metadata, rawHeader: (name: string) => (name === REQUEST_ID_HEADER ? id : undefined) };
}

describe('request scope ids without tracing', () => {
  it('keeps a caller’s safe id and escapes an unsafe one exactly once', () => {
    const scopes = new RequestScopes();
    expect(scopes.grpc(call('req-1'), 'ModelInfer', 'm', '').id).toBe('req-1');
    const unsafe = scopes.grpc(call('a b%\n'), 'ModelInfer', 'm', '');
    expect(unsafe.id).toBe('a%20b%25%0A');
    expect(unsafe.id).toBe('a%20b%25%0A');
  });

  it('makes one UUID for a call without an id, the same on every read and in the log line', () => {
    const log = memoryLogger('pod', 'debug');
    const scope = new RequestScopes({ log }).grpc(call(), 'ModelInfer', 'm', 'v1');
    const first = scope.id;
    expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(scope.id).toBe(first);
    scope.succeeded();
    expect(log.records.map((r) => r.request_id)).toEqual([first]);
    const other = new RequestScopes().grpc(call(), 'ModelInfer', 'm', 'v1');
    expect(other.id).not.toBe(first);
  });

  it('reads the id from the metadata when the transport has no raw header', () => {
    const metadata = new Metadata();
    metadata.set(REQUEST_ID_HEADER, 'from-metadata');
    expect(new RequestScopes().grpc({ metadata }, 'ModelInfer', 'm', '').id).toBe('from-metadata');
  });
});
