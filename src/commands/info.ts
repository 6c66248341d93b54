// `nsbox info [--format T] [--json]`, as docker info (the same as `nsbox system info`).

import type { Argv } from 'yargs';
import type { NsboxCommand } from './command.js';
import { STATE_OPTION } from '../state/paths.js';
import { REPORT_OPTIONS, runInfo, type ReportArgs } from './system-report.js';

export const command: NsboxCommand<ReportArgs> = {
  usage: 'info',
  describe: 'system-wide information, as docker info: boxes running, paused and stopped, images, cgroup version and driver, the store and state dirs, the kernel, the tools\' versions',
  builder: (y: Argv) =>
    y
      .options(REPORT_OPTIONS)
      .options(STATE_OPTION)
      .example('nsbox info --format \'{{.ContainersRunning}} running, cgroup v{{.CgroupVersion}}\'', 'one field or two') as unknown as Argv<ReportArgs>,
  handler: (args) => runInfo(args),
};
