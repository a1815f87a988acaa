// `switchyard config-dump --node-flavor envoy|grpc --policy-dir DIR`: what a node of that flavor
// would receive for the policies in DIR, as YAML (proto3 JSON, Any payloads expanded), without
// a running control plane or proxy. Only static endpoints are known offline; discovered ones
// come from NATS at run time. Invalid policies fail the command, as they would never publish.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { flagsHelp, parseFlags } from '../../../kernel/cli/flags.js';
import { formatIssues, OptionError, PolicyValidationError } from '../../../kernel/errors/index.js';
import { checkPolicySet, type ModelRoute, parsePolicyFile } from '../../policy/index.js';
import { type Flavor, translate } from '../../translate/index.js';
import { RESOURCE_TYPES, type ResourceType, resourcesToJson } from '../../translate/render.js';
import { checkResources } from '../../validate/index.js';
import { CONFIG_DUMP_FLAGS } from '../options.js';

function readPolicies(dir: string): ModelRoute[] {
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort();
  } catch (err) {
    throw new OptionError(`--policy-dir ${dir}: ${(err as Error).message}`);
  }
  const routes = files.flatMap((f) => parsePolicyFile(readFileSync(join(dir, f), 'utf8'), join(dir, f)));
  const issues = checkPolicySet(routes);
  if (issues.length) throw new PolicyValidationError(dir, issues);
  return routes;
}

export async function run(argv: string[]): Promise<number> {
  const flags = parseFlags(CONFIG_DUMP_FLAGS, argv);
  if (flags.help) {
    process.stdout.write(flagsHelp(CONFIG_DUMP_FLAGS, 'config-dump --policy-dir DIR [options]'));
    return 0;
  }
  const flavor = flags['node-flavor'];
  if (flavor !== 'envoy' && flavor !== 'grpc')
    throw new OptionError(`--node-flavor ${JSON.stringify(flavor)}: must be envoy or grpc`);
  const unknown = flags.type.filter((t) => !(RESOURCE_TYPES as readonly string[]).includes(t));
  if (unknown.length)
    throw new OptionError(`--type ${unknown.join(',')}: must be among ${RESOURCE_TYPES.join(',')}`);
  const types = (flags.type.length ? flags.type : RESOURCE_TYPES) as readonly ResourceType[];

  const routes = readPolicies(flags['policy-dir']);
  const set = translate({ routes, endpoints: new Map() }, flavor as Flavor, {
    gatewayPort: flags['gateway-port'],
    trustDomain: flags['trust-domain'],
  });
  const invalid = checkResources(set);
  if (invalid.length) {
    process.stderr.write(
      `config-dump: generated resources break Envoy's validation rules:\n${formatIssues(invalid)}\n`,
    );
    return 1;
  }
  const dump: Record<string, unknown> = {};
  for (const t of RESOURCE_TYPES) if (types.includes(t)) dump[t] = resourcesToJson(set, t);
  process.stdout.write(stringify(dump, { lineWidth: 0, aliasDuplicateObjects: false }));
  return 0;
}
