// The admin API's authentication and authorization settings, read from one YAML file
// (`control-plane --auth-config FILE`). Validated like a policy: every problem at once, by path.
//
//   apiKeys:   [{ id: ci, hash: "sha256:...", roles: [{ role: operator, namespaces: [default] }] }]
//   jwt:       { issuer, audience, jwksFile | jwksUrl, algorithms: [RS256], rolesClaim: switchyard_roles }
//   mtls:      [{ identity: "spiffe://td/ns/ops/sa/deployer", roles: [{ role: admin, namespaces: ["*"] }] }]
//   anonymous: []            # roles for callers with no credentials (none by default)
//   public:    { healthz: true, metrics: true }
//   rateLimit: { perSecond: 5, burst: 20 }
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { type Issue, PolicyValidationError } from '../../kernel/errors/index.js';
import { checkObject, type Field } from '../policy/schema.js';
import type { RateLimit } from './rate-limit.js';
import { ROLES, type RoleBinding } from './rbac.js';

export interface JwtConfig {
  readonly issuer: string;
  readonly audience: string;
  readonly jwksFile?: string;
  readonly jwksUrl?: string;
  readonly algorithms: readonly string[];
  /** Claim holding `role:namespace` strings, e.g. ["operator:default", "viewer:*"]. */
  readonly rolesClaim: string;
  readonly subjectClaim: string;
}

export interface AuthConfig {
  readonly apiKeys: ReadonlyArray<{ id: string; hash: string; roles: RoleBinding[] }>;
  readonly jwt?: JwtConfig;
  readonly mtls: ReadonlyArray<{ identity: string; roles: RoleBinding[] }>;
  readonly anonymous: readonly RoleBinding[];
  readonly public: { readonly healthz: boolean; readonly metrics: boolean };
  readonly rateLimit: RateLimit;
}

const BINDINGS: Field = {
  schema: {
    kind: 'list',
    items: {
      kind: 'object',
      fields: {
        role: { schema: { kind: 'string', oneOf: ROLES }, required: true },
        namespaces: { schema: { kind: 'list', items: { kind: 'string' }, minItems: 1 }, required: true },
      },
    },
  },
  default: [],
};

const FIELDS: Record<string, Field> = {
  apiKeys: {
    schema: {
      kind: 'list',
      items: {
        kind: 'object',
        fields: {
          id: { schema: { kind: 'string', pattern: /^[A-Za-z0-9._-]+$/ }, required: true },
          hash: {
            schema: { kind: 'string', pattern: /^sha256:[0-9a-f]{64}$/, hint: 'sha256:<64 hex digits>' },
            required: true,
          },
          roles: BINDINGS,
        },
      },
    },
    default: [],
  },
  jwt: {
    schema: {
      kind: 'object',
      fields: {
        issuer: { schema: { kind: 'string' }, required: true },
        audience: { schema: { kind: 'string' }, required: true },
        jwksFile: { schema: { kind: 'string' } },
        jwksUrl: { schema: { kind: 'string', pattern: /^https?:\/\//, hint: 'an http(s) URL' } },
        algorithms: {
          schema: {
            kind: 'list',
            items: { kind: 'string', oneOf: ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'] },
            minItems: 1,
          },
          default: ['RS256', 'ES256'],
        },
        rolesClaim: { schema: { kind: 'string' }, default: 'switchyard_roles' },
        subjectClaim: { schema: { kind: 'string' }, default: 'sub' },
      },
    },
  },
  mtls: {
    schema: {
      kind: 'list',
      items: {
        kind: 'object',
        fields: {
          identity: { schema: { kind: 'string', pattern: /^spiffe:\/\// }, required: true },
          roles: BINDINGS,
        },
      },
    },
    default: [],
  },
  anonymous: BINDINGS,
  public: {
    schema: {
      kind: 'object',
      fields: {
        healthz: { schema: { kind: 'bool' }, default: true },
        metrics: { schema: { kind: 'bool' }, default: true },
      },
    },
    default: { healthz: true, metrics: true },
  },
  rateLimit: {
    schema: {
      kind: 'object',
      fields: {
        perSecond: { schema: { kind: 'number', above: 0 }, default: 5 },
        burst: { schema: { kind: 'int', min: 1 }, default: 20 },
      },
    },
    default: { perSecond: 5, burst: 20 },
  },
};

/** Validate an already-parsed config; relative jwksFile paths resolve against `baseDir`. */
export function parseAuthConfig(value: unknown, source: string, baseDir = '.'): AuthConfig {
  const issues: Issue[] = [];
  const c = checkObject(FIELDS, value ?? {}, '', issues) as (AuthConfig & { jwt?: JwtConfig }) | undefined;
  const jwt = c?.jwt;
  if (jwt && !jwt.jwksFile === !jwt.jwksUrl)
    issues.push({ path: 'jwt', message: 'needs exactly one of jwksFile and jwksUrl' });
  if (!c || issues.length) throw new PolicyValidationError(source, issues);
  return jwt?.jwksFile ? { ...c, jwt: { ...jwt, jwksFile: resolve(baseDir, jwt.jwksFile) } } : c;
}

export function loadAuthConfig(file: string): AuthConfig {
  return parseAuthConfig(parse(readFileSync(file, 'utf8')), file, dirname(file));
}

/** With no config file: local development, everyone is admin (logged as a warning). */
export const OPEN_AUTH: AuthConfig = {
  apiKeys: [],
  mtls: [],
  anonymous: [{ role: 'admin', namespaces: ['*'] }],
  public: { healthz: true, metrics: true },
  rateLimit: { perSecond: 50, burst: 100 },
};
