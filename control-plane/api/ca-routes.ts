// CA rotation through the admin API: the steps of `certs ca prepare|activate|rotate|drop` for a
// CA that replicas share in JetStream, where no operator holds its directory. Rotation is
// singleton work: a replica that does not lead refuses (SY_LEASE_FENCED, naming the leader), and
// the CA store checks the fencing token again on every write. Admins bound to "*" only.

import { NotFoundError, OptionError } from '../../kernel/errors/index.js';
import type { AdminRequest, AdminRoute } from '../admin/router.js';
import type { Authenticator } from '../auth/authenticator.js';
import { authorize } from '../auth/rbac.js';
import { type Lease, LeaseFencedError } from '../lease/index.js';
import type { CertificateAuthority } from '../pki/index.js';
import { callContext } from './http-routes.js';

export const CA_ROTATION_PATH = '/api/v1/ca/rotation';
const STEPS = ['prepare', 'activate', 'rotate', 'drop'] as const;
type Step = (typeof STEPS)[number];

export interface CaRouteDeps {
  readonly authn: Authenticator;
  readonly authority?: CertificateAuthority;
  /** With replicas: only its holder rotates. */
  readonly lease?: Lease;
  /** Puts the CA back to the store's state after a step the store refused. */
  readonly reload?: () => Promise<void>;
}

function parseBody(req: AdminRequest): { step: Step; generation?: string } {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(req.body.toString('utf8') || '{}') as Record<string, unknown>;
  } catch {
    throw new OptionError(`${CA_ROTATION_PATH}: the body is not JSON`);
  }
  const step = body.step as Step;
  if (!STEPS.includes(step))
    throw new OptionError(
      `${CA_ROTATION_PATH}: step must be one of ${STEPS.join(', ')} (got ${JSON.stringify(body.step)})`,
    );
  if (step === 'drop' && typeof body.generation !== 'string')
    throw new OptionError(`${CA_ROTATION_PATH}: step drop needs "generation" (an id or a root fingerprint)`);
  return step === 'drop' ? { step, generation: body.generation as string } : { step };
}

async function run(ca: CertificateAuthority, step: Step, generation?: string): Promise<string> {
  switch (step) {
    case 'prepare':
      return ca.prepareRotation();
    case 'activate':
      return ca.activatePrepared();
    case 'rotate':
      return ca.rotate();
    case 'drop':
      return ca.dropGeneration(generation!);
  }
}

export function caRoutes(d: CaRouteDeps): AdminRoute[] {
  return [
    {
      method: 'POST',
      path: CA_ROTATION_PATH,
      async handle(req) {
        authorize((await callContext(d.authn, req)).principal, 'ca-rotate');
        const ca = d.authority;
        if (!ca) throw new NotFoundError('this control plane runs no CA (start it with --ca-dir)');
        const { step, generation } = parseBody(req);
        if (d.lease && !d.lease.isHeld()) {
          const s = d.lease.status();
          throw new LeaseFencedError(
            d.lease.group,
            `replica ${s.replica} does not lead; send the request to ${s.leader ?? 'the leader (none right now)'}`,
          );
        }
        let id: string;
        try {
          id = await run(ca, step, generation);
        } catch (err) {
          await d.reload?.().catch(() => undefined);
          throw err;
        }
        return {
          body: {
            step,
            generation: id,
            generations: ca.generations().map((g) => ({ id: g.id, state: g.state, source: g.record.source })),
            trustBundleVersion: ca.trustBundle().version,
          },
        };
      },
    },
  ];
}
