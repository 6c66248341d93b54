// `nsbox top BOX [PS_OPTIONS]`: the box's processes (every PID in its cgroup), listed by the host's ps.

import { spawnSync } from 'node:child_process';
import type { Argv } from 'yargs';
import type { NsboxCommand } from './command.js';
import { NsboxError } from '../errors.js';
import { STATE_OPTION } from '../state/paths.js';
import { openBox, openStateFromArgs } from '../lifecycle/open-box.js';
import { listCgroupPids } from '../lifecycle/signal-box.js';
import { deriveState } from '../state/status.js';
import { requireTool } from '../host/tools.js';

interface TopArgs {
  box: string;
  state: string | undefined;
}

export const command: NsboxCommand<TopArgs> = {
  usage: 'top <box>',
  describe: 'list the processes of a running box',
  builder: (y: Argv) => y.positional('box', { type: 'string' }).options(STATE_OPTION) as unknown as Argv<TopArgs>,
  async handler(args) {
    const box = openBox(openStateFromArgs(args), String(args.box));
    if (deriveState(box.record, box.paths).status !== 'running') throw new NsboxError(`cannot list processes of box ${args.box}: it is not running`);
    const supervisor = box.record.supervisor?.pid;
    const pids = listCgroupPids(box.record).filter((p) => p !== supervisor && p !== box.record.reaper?.pid);
    if (pids.length === 0) return 0;
    requireTool('ps');
    const result = spawnSync('ps', ['-o', 'pid,ppid,user,etime,time,args', '-p', pids.join(',')], { stdio: ['ignore', 'inherit', 'inherit'] });
    return result.status === 0 || result.status === 1 ? 0 : 125;
  },
};
