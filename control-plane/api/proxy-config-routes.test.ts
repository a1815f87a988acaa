import { describe, expect, it } from 'vitest';
import { REDACTED, redactSecrets } from './proxy-config-routes.js';

describe('redactSecrets', () => {
  it('replaces every privateKey, however deep and whatever its form, and keeps the rest', () => {
    const secret = {
      name: 'spiffe://switchyard.local/ns/default/sa/gw',
      tlsCertificate: {
        certificateChain: { inlineBytes: 'Y2VydA==' },
        privateKey: { inlineBytes: 'a2V5' },
      },
      nested: [{ privateKey: { filename: '/etc/key.pem' } }, { privateKey: 'pem text' }],
    };
    const out = redactSecrets(secret) as typeof secret;
    expect(out.tlsCertificate.privateKey).toBe(REDACTED);
    expect(out.nested.map((n) => n.privateKey)).toEqual([REDACTED, REDACTED]);
    expect(out.tlsCertificate.certificateChain).toEqual({ inlineBytes: 'Y2VydA==' });
    expect(out.name).toBe(secret.name);
    expect(JSON.stringify(out)).not.toMatch(/a2V5|key\.pem|pem text/);
  });
});
