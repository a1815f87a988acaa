// --access-file: a pod without a control plane reads its models' access rules from ModelRoute
// YAML (one file, one or more documents, as `switchyard apply` takes them): each document's
// spec.model and spec.access, checked like the rules a control plane sends. Only the access
// section is read; the rest of the route is the control plane's business.
import { createHash } from 'node:crypto';
import { unwatchFile, watchFile } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import { type AccessRules, type AccessRulesMessage, checkAccessRules } from '../../kernel/contract/index.js';
import { type Issue, OptionError } from '../../kernel/errors/errors.js';
import type { Logger } from '../../kernel/log/index.js';

export async function readAccessFile(path: string): Promise<AccessRulesMessage> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new OptionError(
      `--access-file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  return accessRulesFromYaml(text, `--access-file ${path}`);
}

/**
 * Re-reads the file when it changes (polled: edits through editors, ConfigMaps and renames all
 * show), so a policy change needs no restart. A file that no longer checks keeps the rules in
 * force and says why. Returns the stop function.
 */
export function watchAccessFile(
  path: string,
  apply: (rules: AccessRulesMessage) => void,
  log: Logger,
  intervalMs = 1000,
): () => void {
  let busy = false;
  const reload = () => {
    if (busy) return;
    busy = true;
    readAccessFile(path)
      .then(
        (rules) => {
          apply(rules);
          log.info(
            `access: rules ${rules.version} for ${Object.keys(rules.models).length} model(s) from ${path}`,
          );
        },
        (err: unknown) => log.warn(`access: keeping the rules in force: ${(err as Error).message}`),
      )
      .finally(() => {
        busy = false;
      });
  };
  watchFile(path, { interval: intervalMs, persistent: false }, reload);
  return () => unwatchFile(path, reload);
}

/** Pure: YAML text -> the rules of every ModelRoute in it that has spec.access. */
export function accessRulesFromYaml(text: string, where: string): AccessRulesMessage {
  const issues: Issue[] = [];
  const models: Record<string, AccessRules> = {};
  for (const [i, doc] of parseAllDocuments(text).entries()) {
    if ('errors' in doc && doc.errors.length) {
      issues.push({
        path: `document ${i + 1}`,
        message: `is not YAML: ${doc.errors[0]!.message.split('\n')[0]}`,
      });
      continue;
    }
    const v = doc.toJS() as { kind?: unknown; spec?: { model?: unknown; access?: unknown } } | null;
    if (v === null || v.kind !== 'ModelRoute') continue;
    const model = v.spec?.model;
    if (typeof model !== 'string' || !model) {
      issues.push({ path: `document ${i + 1}: spec.model`, message: 'is required' });
      continue;
    }
    if (Object.hasOwn(models, model))
      issues.push({ path: `document ${i + 1}`, message: `repeats model ${model}` });
    if (v.spec?.access === undefined) continue;
    const rules = checkAccessRules(v.spec.access, `document ${i + 1}: spec.access`, issues);
    if (rules) models[model] = rules;
  }
  if (issues.length)
    throw new OptionError(`${where}: ${issues.map((x) => `${x.path}: ${x.message}`).join('; ')}`);
  const version = `file:${createHash('sha256').update(JSON.stringify(models)).digest('hex').slice(0, 12)}`;
  return { version, models };
}
