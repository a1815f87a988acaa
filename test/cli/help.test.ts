// The CLI a kubectl user expects, without a server: help on every command and subcommand (the
// command list read from `switchyard --help`, as a checker would), --version, misspellings
// answered with a suggestion, duration flags in the policies' spelling, and a closed stdout.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { POD_FLAGS } from '../../data-plane/cli/options.js';
import { parseFlags } from '../../kernel/cli/flags.js';
import { runCli } from '../helpers/cli.js';
import { runCliIntoClosedPipe } from '../helpers/cli-epipe.js';
import { runMain } from '../helpers/cli-in-process.js';

const CERTS_SUBCOMMANDS = [
  ['ca'],
  ['ca', 'init'],
  ['ca', 'show'],
  ['ca', 'prepare'],
  ['ca', 'activate'],
  ['ca', 'rotate'],
  ['ca', 'drop'],
  ['token'],
  ['issue'],
  ['serve'],
  ['agent'],
];

/** Command names: the first word of each line under "Commands:". */
function listedCommands(help: string): string[] {
  const lines = help.split('\n');
  const start = lines.indexOf('Commands:');
  expect(start).toBeGreaterThan(-1);
  return lines
    .slice(start + 1)
    .filter((l) => /^ {2}\S/.test(l))
    .map((l) => l.trim().split(/\s+/)[0]!);
}

describe('switchyard --help', () => {
  it('lists the commands, and each answers --help with exit 0', async () => {
    const top = await runCli(['--help']);
    expect(top.code).toBe(0);
    const commands = listedCommands(top.stdout);
    expect(commands).toEqual(
      expect.arrayContaining(['certs', 'control-plane', 'pod', 'status', 'apply', 'rollback', 'endpoints']),
    );
    expect(commands.length).toBeGreaterThanOrEqual(14);
    for (const c of commands) {
      const r = await runMain(c, '--help');
      expect({ c, code: r.code, stderr: r.stderr }).toEqual({ c, code: 0, stderr: '' });
      expect(r.stdout).toMatch(new RegExp(`usage: switchyard ${c}\\b`, 'i'));
      expect((await runMain('help', c)).stdout).toBe(r.stdout);
    }
  });

  it('answers --help and -h on every certs and audit subcommand, required flags or not', async () => {
    for (const sub of CERTS_SUBCOMMANDS) {
      for (const h of ['--help', '-h']) {
        const r = await runMain('certs', ...sub, h);
        expect({ sub, code: r.code, stderr: r.stderr }).toEqual({ sub, code: 0, stderr: '' });
        expect(r.stdout).toMatch(/usage: switchyard certs/i);
      }
    }
    const agent = (await runMain('certs', 'agent', '--help')).stdout.replace(/\s+/g, ' ');
    expect(agent).toMatch(/--identity <value> [^(]+\(required\)/);
    expect(agent).toMatch(/--bundle-refresh <duration> [^(]+\(a duration: 250ms, 1s, 1m30s/);
    for (const sub of ['log', 'verify']) expect((await runMain('audit', sub, '--help')).code).toBe(0);
  });

  it("runs the data plane's pod command through the launcher", async () => {
    const viaHelp = await runCli(['help', 'pod']);
    const direct = await runCli(['pod', '--help']);
    expect(direct).toMatchObject({ code: 0, stderr: '' });
    expect(direct.stdout).toMatch(/usage: switchyard pod --model-repo/i);
    expect(viaHelp.stdout).toBe(direct.stdout);
  });

  it('prints the version of the package', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    for (const flag of ['--version', '-V']) {
      const r = await runCli([flag]);
      expect(r).toMatchObject({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
    }
  });

  it('suggests the option or command that was meant, with exit 2', async () => {
    const opt = await runMain('get', '--namespac', 'staging');
    expect(opt.code).toBe(2);
    expect(opt.stderr).toMatch(
      /unknown option '--namespac' \(Did you mean --namespace\?\) \[SY_OPTION_INVALID\]/,
    );
    const cmd = await runMain('stauts');
    expect(cmd.code).toBe(2);
    expect(cmd.stderr).toMatch(/unknown command 'stauts' \(Did you mean status\?\)/);
    const sub = await runMain('certs', 'agent', '--identiy', 'x');
    expect(sub.stderr).toMatch(/Did you mean --identity\?/);
  });

  it('refuses a gateway route matcher it does not know, naming the choices, with exit 2', async () => {
    const r = await runMain('control-plane', '--gateway-route-matcher', 'linear');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--gateway-route-matcher: "linear" is not one of auto, tree, list/);
    const help = (await runMain('control-plane', '--help')).stdout.replace(/\s+/g, ' ');
    expect(help).toMatch(/--gateway-route-matcher <value> .*\(default "?auto"?\)/);
  });

  it('exits 0 without a trace when nobody reads stdout any more', async () => {
    for (const args of [['--help'], ['apikey'], ['status', '--help']]) {
      const r = await runCliIntoClosedPipe(args);
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
    }
  });
});

describe('duration flags', () => {
  const pod = (v: string) => parseFlags(POD_FLAGS, ['--model-repo', '/m', '--heartbeat-interval', v]);

  it('take what policies take, and the help says so', async () => {
    expect(pod('1000ms')['heartbeat-interval']).toBe(1000);
    expect(pod('1s')['heartbeat-interval']).toBe(1000);
    expect(pod('1m30s')['heartbeat-interval']).toBe(90_000);
    expect(pod('1.5s')['heartbeat-interval']).toBe(1500);
    const help = (await runMain('pod', '--help')).stdout.replace(/\s+/g, ' ');
    expect(help).toMatch(
      /--heartbeat-interval <duration>\s+time between heartbeats \(a duration: 250ms, 1s, 1m30s, 1\.5h\)\s+\(default 1s\)/,
    );
    expect(help).toMatch(/--drain-timeout <duration> [^(]+\([^)]+\) \(default 30s\)/);
  });

  it('refuse a bare number, naming the flag and the syntax', () => {
    expect(() => pod('1000')).toThrow(/--heartbeat-interval: "1000" is not a duration: 250ms, 1s, 1m30s/);
    expect(() => pod('1m30')).toThrow(/is not a duration/);
  });
});
