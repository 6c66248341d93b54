// `nsbox ns PID [OTHER_PID]`: which namespaces of PID are isolated from OTHER's (PID 1 by default), read from /proc.

import type { Argv } from 'yargs';
import type { NsboxCommand } from './command.js';
import { readNamespaceInodes } from '../ns/inodes.js';
import { buildNsReport } from '../ns/ns-report.js';
import { renderNsTable, toNsJson } from '../ns/render-ns.js';
import { parsePidArgument } from '../ns/parse-pid.js';
import { NsboxError } from '../errors.js';

interface NsArgs {
  pid: string | undefined;
  other: string | undefined;
  json: boolean;
}

export const command: NsboxCommand<NsArgs> = {
  usage: 'ns [pid] [other]',
  describe: 'show which namespaces of PID are isolated from OTHER (default: PID 1), from /proc/<pid>/ns',
  builder: (y: Argv) =>
    y
      .positional('pid', { type: 'string', describe: 'process to inspect' })
      .positional('other', { type: 'string', describe: 'process to compare with (default 1)' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON with stable keys' }) as unknown as Argv<NsArgs>,
  async handler(args) {
    if (args.pid === undefined) throw new NsboxError('missing PID: usage: nsbox ns PID [OTHER_PID] [--json]');
    const pid = parsePidArgument(args.pid, 'PID');
    const other = args.other === undefined ? undefined : parsePidArgument(args.other, 'OTHER_PID');
    const report = buildNsReport({ pid, other, procRoot: '/proc', selfPid: process.pid, readInodes: (p) => readNamespaceInodes(p) });
    process.stdout.write(args.json ? `${JSON.stringify(toNsJson(report), null, 2)}\n` : renderNsTable(report));
    return 0;
  },
};
