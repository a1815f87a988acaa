// The "well known" string formats of protoc-gen-validate, written out here because validate/
// stays pure (no node:net). Semantics follow PGV's Go generator.

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

export function isIpv4(s: string): boolean {
  return IPV4.test(s);
}

export function isIpv6(s: string): boolean {
  const zone = s.indexOf('%');
  const addr = zone >= 0 ? s.slice(0, zone) : s;
  const halves = addr.split('::');
  if (halves.length > 2) return false;
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const parse = (parts: string[], allowV4Tail: boolean): number | undefined => {
    let count = 0;
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (allowV4Tail && i === parts.length - 1 && p.includes('.')) {
        if (!isIpv4(p)) return undefined;
        count += 2;
      } else if (HEX_GROUP.test(p)) count += 1;
      else return undefined;
    }
    return count;
  };
  if (halves.length === 1) return parse(groups(addr), true) === 8;
  const head = parse(groups(halves[0]!), false);
  const tail = parse(groups(halves[1]!), true);
  return head !== undefined && tail !== undefined && head + tail <= 7;
}

export function isHostname(s: string): boolean {
  const name = s.endsWith('.') ? s.slice(0, -1) : s;
  if (name.length === 0 || name.length > 253) return false;
  return name
    .split('.')
    .every(
      (l) =>
        l.length > 0 && l.length <= 63 && /^[a-zA-Z0-9-]+$/.test(l) && !l.startsWith('-') && !l.endsWith('-'),
    );
}

export function isEmail(s: string): boolean {
  const at = s.lastIndexOf('@');
  return at > 0 && at <= 64 && isHostname(s.slice(at + 1));
}

export function isUri(s: string): boolean {
  return /^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s]*$/.test(s);
}

export function isUuid(s: string): boolean {
  return /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(s);
}

const HEADER_NAME = /^:?[0-9a-zA-Z!#$%&'*+\-.^_|~`]+$/;

/** No NUL, LF or CR: PGV's relaxed header string (`strict: false`). */
function isHeaderString(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0 || c === 10 || c === 13) return false;
  }
  return true;
}

/** No control character except horizontal tab: PGV's strict HTTP_HEADER_VALUE. */
function isHeaderValue(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 32 && c !== 9) || c === 127) return false;
  }
  return true;
}

/** PGV's KnownRegex: 1 HTTP_HEADER_NAME, 2 HTTP_HEADER_VALUE; `strict: false` relaxes both. */
export function headerTest(kind: number, strict: boolean): ((s: string) => boolean) | undefined {
  if (kind !== 1 && kind !== 2) return undefined;
  if (!strict) return isHeaderString;
  return kind === 1 ? (s) => HEADER_NAME.test(s) : isHeaderValue;
}
