// One line that says why the admin API could not be talked to, for the mistakes people make
// with --server: the wrong scheme (http against HTTPS and back), a port that is not the admin
// API (xDS, a pod, another web server), nothing listening, an untrusted certificate. Pure: the
// error (or the response's status and content type) in, the sentence out.

const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function withScheme(server: string, scheme: 'http:' | 'https:'): string {
  const u = new URL(server);
  u.protocol = scheme;
  return u.toString().replace(/\/$/, '');
}

/** Why a request to `server` failed before any HTTP answer. */
export function explainTransportError(server: string, err: NodeJS.ErrnoException): string {
  const url = new URL(server);
  const where = `${url.hostname}:${url.port || (url.protocol === 'https:' ? 443 : 80)}`;
  const code = err.code ?? '';
  const text = err.message ?? String(err);
  if (code === 'ECONNREFUSED')
    return `nothing listens at ${where} (is the control plane running, on this port?)`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot resolve the host ${url.hostname}`;
  if (code === 'ETIMEDOUT' || /timed out/.test(text)) return `no answer from ${where} in time`;
  if (UNTRUSTED.has(code))
    return `the certificate of ${where} is not trusted (${code}): pass the CA that signed it with --ca`;
  if (url.protocol === 'https:' && (code === 'EPROTO' || /^ERR_SSL_/.test(code) || /SSL routines/.test(text)))
    return `${where} does not speak TLS: if it serves plain HTTP, use --server ${withScheme(server, 'http:')}`;
  if (/^HPE_/.test(code))
    return `${where} did not answer in HTTP/1.1, so it is not the admin API (a gRPC or xDS port?); the admin API listens on --admin-port (default 18080)`;
  if (url.protocol === 'http:' && (code === 'ECONNRESET' || /socket hang up/.test(text)))
    return `${where} closed the connection without an answer: if it serves HTTPS, use --server ${withScheme(server, 'https:')}`;
  return text.split('\n')[0]!;
}

/** Why an HTTP answer is not one from the admin API, or undefined when it looks like one. */
export function explainForeignAnswer(
  server: string,
  status: number,
  contentType: string | undefined,
): string | undefined {
  if (contentType?.includes('application/json')) return undefined;
  if (status === 204) return undefined;
  return `${server} answered HTTP ${status} with ${contentType || 'no content type'}, not the admin API's JSON: is --server the admin API's address (default port 18080)?`;
}
