// What the PKI tells auditors: every certificate issued, every CSR refused, every failed proof of
// identity. A sink is injected, so the control plane can route events to its audit log (NATS,
// docs/OPERATIONS.md) while tests collect them in memory. Events never carry keys or tokens.
import type { Writable } from 'node:stream';

export type PkiAuditEvent =
  | {
      readonly type: 'certificate.issued';
      readonly identity: string;
      readonly method: AuthMethod;
      readonly serialNumber: string;
      readonly notAfter: string;
      readonly generation: string;
    }
  | {
      readonly type: 'csr.refused';
      readonly identity: string;
      readonly method: AuthMethod;
      readonly reasons: readonly string[];
      readonly requested: readonly string[];
    }
  | { readonly type: 'csr.invalid'; readonly reason: string }
  | { readonly type: 'auth.failed'; readonly method: AuthMethod | 'none'; readonly reason: string }
  | { readonly type: 'token.created'; readonly identity: string; readonly expiresAt: string }
  | {
      readonly type: 'ca.changed';
      readonly reason: string;
      readonly activeGeneration: string;
      readonly bundleVersion: string;
    };

export type AuthMethod = 'token' | 'certificate';

export type AuditRecord = PkiAuditEvent & { readonly at: string; readonly remote?: string };

export interface AuditSink {
  record(event: AuditRecord): void;
}

export class MemoryAuditSink implements AuditSink {
  readonly events: AuditRecord[] = [];
  record(event: AuditRecord): void {
    this.events.push(event);
  }
  ofType<T extends PkiAuditEvent['type']>(type: T): Extract<AuditRecord, { type: T }>[] {
    return this.events.filter((e): e is Extract<AuditRecord, { type: T }> => e.type === type);
  }
}

/** One JSON object per line, e.g. to stderr for `certs serve`. */
export class JsonLinesAuditSink implements AuditSink {
  constructor(private readonly out: Writable) {}
  record(event: AuditRecord): void {
    this.out.write(`${JSON.stringify({ audit: 'pki', ...event })}\n`);
  }
}

export const NULL_AUDIT: AuditSink = { record() {} };
