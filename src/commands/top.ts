// `nsbox top BOX [PS_OPTIONS]`: the box's processes (every PID in its cgroup), listed by the host's ps. With ps
// options, as `docker top`: `ps OPTIONS -q PIDS` (or `ps OPTIONS` when those options refuse -q), then only the rows
// whose PID column is one of the box's.

import { spawnSync } from 'node:child_process';
import type { Argv } from 'yargs';
import type { NsboxCommand } from './command.js';
import { NsboxError } from '../errors.js';
import { STATE_OPTION } from '../state/paths.js';
import { openBox, openStateFromArgs } from '../lifecycle/open-box.js';
import { listCgroupPids } from '../lifecycle/signal-box.js';
import { deriveState } from '../state/status.js';
import { requireTool } from '../host/tools.js';
import { splitCommandLine } from '../spec/command-line.js';
import { parseFlags } from '../spec/parse-flags.js';

interface TopArgs {
  box: string;
  state: string | undefined;
}

export const command: NsboxCommand<TopArgs> = {
  usage: 'top <box> [ps..]',
  // The ps options are ps's own (`-o pid,args`), never nsbox's: the handler splits the raw words.
  parsesOwnWords: (words) => !splitCommandLine(words, STATE_OPTION)[0].some((w) => w === '--help' || w === '-h'),
  describe: 'list the processes of a running box (ps options after the box, as docker top: -o pid,args)',
  builder: (y: Argv) => y.strict(false).positional('box', { type: 'string' }).positional('ps', { type: 'string', array: true }).options(STATE_OPTION) as unknown as Argv<TopArgs>,
  async handler() {
    const raw = process.argv.slice(2);
    if (raw[0] === '--') raw.shift();
    const [flags, rest] = splitCommandLine(raw.slice(raw.indexOf('top') + 1), STATE_OPTION);
    const { state } = parseFlags(flags, STATE_OPTION, 'top') as { state?: string };
    const [ref, ...psOptions] = rest;
    if (ref === undefined) throw new NsboxError('missing box: nsbox top BOX [PS_OPTIONS]');
    const box = openBox(openStateFromArgs({ state }), ref);
    if (deriveState(box.record, box.paths).status !== 'running') throw new NsboxError(`cannot list processes of box ${ref}: it is not running`);
    const supervisor = box.record.supervisor?.pid;
    const pids = listCgroupPids(box.record).filter((p) => p !== supervisor && p !== box.record.reaper?.pid);
    requireTool('ps');
    if (psOptions.length === 0) {
      if (pids.length === 0) return 0;
      const result = spawnSync('ps', ['-o', 'pid,ppid,user,etime,time,args', '-p', pids.join(',')], { stdio: ['ignore', 'inherit', 'inherit'] });
      return result.status === 0 || result.status === 1 ? 0 : 125;
    }
    process.stdout.write(filterPsOutput(runPs(psOptions, pids), new Set(pids)));
    return 0;
  },
};

/** `ps OPTIONS -q PIDS`; options that cannot go with -q (f, for one) get a plain `ps OPTIONS`, filtered below. */
function runPs(options: readonly string[], pids: readonly number[]): string {
  const quick = pids.length > 0 ? spawnSync('ps', [...options, '-q', pids.join(',')], { encoding: 'utf8' }) : undefined;
  if (quick?.status === 0) return quick.stdout;
  const all = spawnSync('ps', options, { encoding: 'utf8' });
  // ps exits 1 when no process matched: its header alone is still the answer.
  if (all.status === 0 || (all.status === 1 && all.stdout !== '')) return all.stdout;
  throw new NsboxError(`cannot run ps ${options.join(' ')}: ${(all.stderr || quick?.stderr || '').trim().split('\n')[0] || `exit ${all.status}`}`);
}

/** The header and the rows whose PID column holds one of `pids`; an error when there is no PID column. */
export function filterPsOutput(output: string, pids: ReadonlySet<number>): string {
  const [header = '', ...rows] = output.split('\n').filter((line) => line.trim() !== '');
  const column = header.trim().split(/\s+/).indexOf('PID');
  if (column < 0) throw new NsboxError('cannot list the box\'s processes: ps printed no PID column', { hint: 'add pid to -o, e.g. nsbox top BOX -o pid,args' });
  // Columns before PID hold no spaces (ps's own fields, as Docker assumes too): the PID is the column-th word.
  const kept = rows.filter((row) => pids.has(Number(row.trim().split(/\s+/)[column])));
  return [header, ...kept].map((line) => `${line}\n`).join('');
}
