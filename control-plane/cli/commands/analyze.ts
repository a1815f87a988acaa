// `switchyard analyze [-f FILE|DIR] [--offline] [-o table|json|yaml]`: the policies in the files
// as if applied over the live store, checked together and against the live endpoints
// (control-plane/policy/analyze.ts). A document that fails validation is a finding too, with its
// path. Exits 1 when any finding is an error, so CI can gate an apply on it.
import { type Issue, OptionError } from '../../../kernel/errors/index.js';
import type { PolicyView } from '../../api/policy-views.js';
import { analyze, type EndpointFact, type Finding } from '../../policy/analyze.js';
import { checkPolicyHeader, type ModelRoute, policyId, validatePolicy } from '../../policy/index.js';
import { adminRequest } from '../admin-client.js';
import { startClientCommand } from '../client-command.js';
import { inNamespace, type Manifest, manifestId, readManifests } from '../manifests.js';
import { ANALYZE_FLAGS } from '../options.js';
import { printData } from '../output.js';
import { renderTable } from '../table.js';

function fromManifest(m: Manifest, findings: Finding[]): ModelRoute | undefined {
  const issues: Issue[] = [];
  let route: ModelRoute | undefined;
  try {
    checkPolicyHeader(m.document, m.source);
    route = validatePolicy(m.document, issues);
  } catch (err) {
    issues.push({ path: '', message: (err as Error).message });
  }
  for (const i of issues)
    findings.push({
      severity: 'error',
      check: 'invalid-document',
      policy: `${manifestId(m)} (${m.source})`,
      path: i.path || '(document)',
      message: i.message,
      fix: 'correct the field (docs/TRANSLATION.md lists every field); apply would refuse the document',
    });
  return route;
}

export async function run(argv: string[]): Promise<number> {
  const call = startClientCommand(
    ANALYZE_FLAGS,
    'switchyard analyze [-f FILE|DIR] [--offline] [-o table|json|yaml]',
    argv,
  );
  if (!call) return 0;
  const { flags, conn, format } = call;
  if (flags._.length)
    throw new OptionError(`analyze: unexpected argument ${flags._[0]} (files are given with -f)`);
  if (flags.offline && flags.filename.length === 0)
    throw new OptionError('--offline checks files only: give them with -f FILE|DIR');
  const findings: Finding[] = [];
  const manifests = flags.filename.length
    ? inNamespace(readManifests(flags.filename), conn.namespace, flags.namespace !== undefined)
    : [];
  const local = manifests.map((m) => fromManifest(m, findings)).filter((r): r is ModelRoute => !!r);
  const byId = new Map<string, ModelRoute>();
  let endpoints: EndpointFact[] | undefined;
  if (!flags.offline) {
    const [{ policies }, listing] = await Promise.all([
      adminRequest<{ policies: PolicyView[] }>(conn, 'GET', 'api/v1/policies'),
      adminRequest<{ endpoints: EndpointFact[] }>(conn, 'GET', 'api/v1/endpoints'),
    ]);
    endpoints = listing.endpoints;
    for (const p of policies) {
      // The live documents passed validation when stored; one that no longer does is left out.
      const route = validatePolicy(p.document, []);
      if (route) byId.set(policyId(route), route);
    }
  }
  // The files replace the live policies of the same name: what the store would hold after apply.
  for (const r of local) byId.set(policyId(r), r);
  findings.push(...analyze({ routes: [...byId.values()], ...(endpoints ? { endpoints } : {}) }));
  const errors = findings.filter((f) => f.severity === 'error').length;
  if (format !== 'table') printData(format, { findings });
  else if (findings.length === 0)
    process.stdout.write(
      `no findings in ${byId.size} polic${byId.size === 1 ? 'y' : 'ies'}${flags.offline ? ' (offline: endpoint checks skipped)' : ''}\n`,
    );
  else {
    process.stdout.write(
      renderTable(
        ['severity', 'policy', 'path', 'check', 'message'],
        findings.map((f) => [f.severity, f.policy, f.path, f.check, f.message]),
      ),
    );
    process.stdout.write(
      `\nfixes:\n${findings.map((f) => `  ${f.policy} ${f.path}: ${f.fix}`).join('\n')}\n`,
    );
  }
  return errors > 0 ? 1 : 0;
}
