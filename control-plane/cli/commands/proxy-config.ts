// `switchyard proxy-config NODE [--type clusters,routes,...] [-o yaml|json]`: what the live
// server sends that node now, per stream and resource type, as proto3 JSON rendered as YAML or
// JSON; private keys are redacted by the server before they leave it.
import { OptionError } from '../../../kernel/errors/index.js';
import { CONFIG_TYPES } from '../../api/proxy-config-routes.js';
import { adminRequest } from '../admin-client.js';
import { startClientCommand } from '../client-command.js';
import { PROXY_CONFIG_FLAGS } from '../options.js';
import { printData } from '../output.js';

export async function run(argv: string[]): Promise<number> {
  const call = startClientCommand(
    PROXY_CONFIG_FLAGS,
    'switchyard proxy-config NODE [--type clusters|routes|listeners|endpoints|secrets] [-o yaml|json]',
    argv,
  );
  if (!call) return 0;
  const { flags, conn, format } = call;
  const [node, ...extra] = flags._;
  if (!node)
    throw new OptionError('proxy-config: which node? give its node id (switchyard status lists them)');
  if (extra.length)
    throw new OptionError(`proxy-config: one node id, not ${flags._.length} (${flags._.join(' ')})`);
  const bad = flags.type.filter((t) => !(CONFIG_TYPES as readonly string[]).includes(t));
  if (bad.length) throw new OptionError(`--type ${bad.join(',')}: must be among ${CONFIG_TYPES.join(',')}`);
  const query = flags.type.length ? `?type=${flags.type.join(',')}` : '';
  const body = await adminRequest<unknown>(
    conn,
    'GET',
    `api/v1/proxies/${encodeURIComponent(node)}/config${query}`,
  );
  // Resources do not fit a table: the default (table) prints YAML.
  printData(format === 'json' ? 'json' : 'yaml', body);
  return 0;
}
