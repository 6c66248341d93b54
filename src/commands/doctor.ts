// `nsbox doctor`: one line per host capability nsbox relies on, with the fix for each one missing; exit 1 if any is.

import type { Argv } from 'yargs';
import type { NsboxCommand } from './command.js';
import { findTool } from '../host/tools.js';
import { probeHost } from '../host/probe-host.js';
import { runVersionCommand } from '../host/probe-run-version.js';
import { renderProbeLine, computeDoctorExit, toProbeJson } from '../host/probe-render.js';
import { readSetprivHelp, tryPerlLoader } from '../host/probe-seccomp.js';

interface DoctorArgs {
  json: boolean;
}

export const command: NsboxCommand<DoctorArgs> = {
  usage: 'doctor',
  describe: 'check this host: namespaces, user namespaces, cgroups, overlayfs, seccomp, tools (with fixes)',
  builder: (y: Argv) =>
    y.option('json', { type: 'boolean', default: false, describe: 'print JSON with stable keys' }) as unknown as Argv<DoctorArgs>,
  async handler(args) {
    const results = await probeHost({ root: '', findTool: (name) => findTool(name), runVersion: runVersionCommand, seccomp: { setprivHelp: readSetprivHelp, tryPerl: tryPerlLoader } });
    const text = args.json ? JSON.stringify(toProbeJson(results), null, 2) : results.map(renderProbeLine).join('\n');
    process.stdout.write(`${text}\n`);
    return computeDoctorExit(results);
  },
};
