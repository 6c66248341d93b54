// `nsbox version [--json]`: nsbox's version and the versions of the tools it composes (what a bug report needs).

import type { Argv } from 'yargs';
import type { NsboxCommand } from './command.js';
import { findTool, TOOL_PACKAGES } from '../host/tools.js';
import { runVersionCommand } from '../host/probe-run-version.js';
import { NSBOX_VERSION } from '../version.js';

interface VersionArgs {
  json: boolean;
}

/** Tool -> the argv that makes it print its version. */
const VERSION_ARGS: Readonly<Record<string, readonly string[]>> = {
  unshare: ['--version'],
  nsenter: ['--version'],
  setpriv: ['--version'],
  mount: ['--version'],
  ip: ['-V'],
  iptables: ['--version'],
  nft: ['--version'],
  perl: ['-e', 'print "perl $^V\\n"'],
};

/** The first line of a tool's version output that holds a version number. */
export function versionLine(output: string): string {
  return output.split('\n').find((l) => /\d+\.\d+/.test(l))?.trim() ?? output.split('\n')[0]?.trim() ?? '';
}

/** Each tool's version line, in VERSION_ARGS's order (null: not installed); `info` shows them too. */
export async function readToolVersions(): Promise<Record<string, string | null>> {
  const tools: Record<string, string | null> = Object.fromEntries(Object.keys(VERSION_ARGS).map((t) => [t, null]));
  await Promise.all(
    Object.entries(VERSION_ARGS).map(async ([tool, argv]) => {
      const path = findTool(tool);
      tools[tool] = path ? versionLine(await runVersionCommand(path, argv)) : null;
    }),
  );
  return tools;
}

export const command: NsboxCommand<VersionArgs> = {
  usage: 'version',
  describe: "print nsbox's version and the versions of the system tools it composes",
  builder: (y: Argv) => y.option('json', { type: 'boolean', default: false, describe: 'print JSON' }) as unknown as Argv<VersionArgs>,
  async handler(args) {
    const tools = await readToolVersions();
    const facts = { nsbox: NSBOX_VERSION, node: process.version, tools };
    if (args.json) process.stdout.write(`${JSON.stringify(facts, null, 2)}\n`);
    else {
      const lines = [`nsbox ${NSBOX_VERSION}`, `node ${process.version}`];
      for (const tool of Object.keys(VERSION_ARGS)) {
        const pkg = TOOL_PACKAGES[tool] ?? (tool === 'perl' ? 'perl-base' : tool);
        lines.push(`${tool.padEnd(9)} ${tools[tool] ?? `not found (apt-get install ${pkg})`}`);
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    return 0;
  },
};
