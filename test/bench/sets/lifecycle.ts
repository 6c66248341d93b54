// Issue 5's set: start 50 detached boxes in parallel and remove them, next to 50 bare `setsid sleep` (the floor)
// and crun/runc when installed. Boxes per second = 50 / median; the memory per idle box (the reaper shell's
// proportional set size, measured once in setup) is printed under the table.

import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { findTool, NSBOX_BIN } from '../paths.js';
import { checkNsboxRunnable } from './core.js';
import type { BenchSet, Candidate } from '../types.js';

const BOXES = 50;
// Made by nsbox on first use and removed in teardown; box cgroups go directly below the bench's own cgroups.
const STATE = join(tmpdir(), `nsbox-bench-lc-${process.pid}`);
const ENV = { NSBOX_STATE: STATE, NSBOX_CGROUP_PARENT: '.' };
let notes: string[] = [];

/** sh: start BOXES copies of `start` in the background, wait for all, then run `cleanup`. */
function fanOut(start: string, cleanup: string): readonly string[] {
  return ['/bin/sh', '-c', `i=0; while [ $i -lt ${BOXES} ]; do ${start} & i=$((i+1)); done; wait; ${cleanup}`];
}

const candidates: Candidate[] = [
  { name: `nsbox ${BOXES} run -d + rm -f`, argv: fanOut(`${NSBOX_BIN} run -d --pid -- sleep 1000 >/dev/null`, `${NSBOX_BIN} rm -f $(${NSBOX_BIN} ps -q) >/dev/null`), env: ENV },
  { name: `${BOXES} setsid sleep + kill`, argv: ['/bin/sh', '-c', `i=0; p=; while [ $i -lt ${BOXES} ]; do setsid sleep 1000 </dev/null >/dev/null 2>&1 & p="$p $!"; i=$((i+1)); done; kill $p; wait; true`] },
];
if (findTool('crun')) notes.push('crun is installed but its bundle set-up is not automated in this set yet');
if (findTool('runc')) notes.push('runc is installed but its bundle set-up is not automated in this set yet');
if (!findTool('crun') && !findTool('runc')) notes.push('crun and runc are not installed: no comparison with them');

export const lifecycleSet: BenchSet = {
  name: 'lifecycle',
  title: `issue 5: ${BOXES} detached boxes started in parallel, then removed`,
  reference: `${BOXES} setsid sleep + kill`,
  candidates,
  targets: [],
  available: checkNsboxRunnable,
  setup() {
    // Memory per idle box beyond its own processes: the reaper shell's PSS (shared pages split among sharers).
    const id = execFileSync(NSBOX_BIN, ['run', '-d', '--pid', '--', 'sleep', '1000'], { env: { ...process.env, ...ENV }, encoding: 'utf8' }).trim();
    const record = JSON.parse(readFileSync(join(STATE, 'boxes', id, 'state.json'), 'utf8'));
    const rollup = readFileSync(`/proc/${record.supervisor.pid}/smaps_rollup`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(rollup)?.[1] ?? NaN);
    notes.push(`memory per idle box (reaper shell): PSS ${kb('Pss')} KiB, RSS ${kb('Rss')} KiB, private ${kb('Private_Clean') + kb('Private_Dirty')} KiB (target < 2048 KiB)`);
    execFileSync(NSBOX_BIN, ['rm', '-f', id], { env: { ...process.env, ...ENV } });
  },
  teardown() {
    const out = notes;
    notes = [];
    try {
      execFileSync(NSBOX_BIN, ['gc'], { env: { ...process.env, ...ENV } });
    } catch {
      out.push('gc after the set failed');
    }
    rmSync(STATE, { recursive: true, force: true });
    return out;
  },
};
