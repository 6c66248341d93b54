// Issue 14's parallel set: 50 detached image boxes started at once, then removed, against 50 `runc run -d` and
// `runc delete -f` on the same busybox root; boxes per second = 50 / median. Also the host memory of an idle
// detached box: the proportional set size of its processes outside the box (supervisor, reaper, log writer), target
// < 2 MB per box among ten, and printed for one box alone.

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { findTool, NSBOX_BIN } from '../paths.js';
import { RUN_NUMBER, type BenchSet, type Candidate, type TargetOutcome } from '../types.js';
import { checkNsboxRunnable } from './core.js';
import { writeOciBundle } from './oci-bundle.js';
import { cleanStartupWork, prepareStartupWork, STARTUP_ENV, startupWork } from './startup.js';

const BOXES = 50;
const IDLE_LIMIT_KB = 2048;
const IDLE_BOXES = 10;
const runc = findTool('runc');
let outcomes: TargetOutcome[] = [];

/** sh: BOXES copies of `start N` in the background, wait for all, then `cleanup`. */
function fanOut(start: string, cleanup: string): readonly string[] {
  return ['/bin/sh', '-c', `i=0; while [ $i -lt ${BOXES} ]; do ${start} & i=$((i+1)); done; wait; ${cleanup}`];
}

const nsbox = `${NSBOX_BIN} run -d --net none busybox sleep 1000 >/dev/null`;
const candidates: Candidate[] = [
  { name: `nsbox ${BOXES} run -d + rm -f`, argv: fanOut(nsbox, `${NSBOX_BIN} rm -f $(${NSBOX_BIN} ps -q) >/dev/null`), env: STARTUP_ENV },
  ...(runc
    ? [{
        name: `runc ${BOXES} run -d + delete -f`,
        argv: fanOut(
          `${runc} run -d --bundle ${join(startupWork(), 'bundle-sleep')} nsbox-bench-${RUN_NUMBER}-$i </dev/null >/dev/null 2>&1`,
          `i=0; while [ $i -lt ${BOXES} ]; do ${runc} delete -f nsbox-bench-${RUN_NUMBER}-$i & i=$((i+1)); done; wait`,
        ),
      }]
    : []),
];

export const startup50Set: BenchSet = {
  name: 'startup-50',
  title: `issue 14: ${BOXES} detached image boxes at once, then removed, vs runc; memory of an idle detached box`,
  reference: runc ? `runc ${BOXES} run -d + delete -f` : `nsbox ${BOXES} run -d + rm -f`,
  candidates,
  // boxes/s >= 0.5x runc's is the same as a median <= 2x runc's
  targets: [{ kind: 'median-ratio', subject: `nsbox ${BOXES} run -d + rm -f`, reference: `runc ${BOXES} run -d + delete -f`, factor: 2 }],
  maxRuns: 8,
  available() {
    return checkNsboxRunnable();
  },
  setup() {
    outcomes = [];
    prepareStartupWork();
    if (runc) writeOciBundle(runc, join(startupWork(), 'bundle-sleep'), { rootfs: realpathSync(join(startupWork(), 'rootfs')), args: ['/bin/sleep', '1000'] });
    outcomes.push(measureIdleBox());
  },
  check() {
    return outcomes;
  },
  teardown: cleanStartupWork,
};

/**
 * Idle detached boxes: the PSS of each one's processes outside its pid namespace (what nsbox adds to the command), for
 * one box alone and per box among IDLE_BOXES. PSS splits a page among the processes that map it, so the first box
 * alone also carries every page of the programs it runs (perl's and sh's text, ~3 MiB of libperl), which the next
 * boxes share; the target is the cost per box when boxes run side by side, as in this set. Both are printed.
 */
function measureIdleBox(): TargetOutcome {
  const env = { ...process.env, ...STARTUP_ENV };
  const ids: string[] = [];
  const start = () => ids.push(execFileSync(NSBOX_BIN, ['run', '-d', '--net', 'none', 'busybox', 'sleep', '1000'], { env, encoding: 'utf8' }).trim());
  try {
    start();
    const alone = outsideUsage(ids);
    while (ids.length < IDLE_BOXES) start();
    const all = outsideUsage(ids);
    const perBox = Math.round(all.pss / ids.length);
    const ok = perBox < IDLE_LIMIT_KB;
    return {
      line: `target: idle detached box host memory < ${IDLE_LIMIT_KB} KiB: PSS ${perBox} KiB per box among ${ids.length} (${all.processes} processes outside the boxes); one box alone ${alone.pss} KiB in ${alone.processes} -> ${ok ? 'ok' : 'MISSED'}`,
      verdict: ok ? 'ok' : 'missed',
    };
  } finally {
    if (ids.length) execFileSync(NSBOX_BIN, ['rm', '-f', ...ids], { env, stdio: 'ignore' });
  }
}

/** The PSS sum (KiB) of the boxes' supervisors and their descendants in our pid namespace (not the boxes' own). */
function outsideUsage(ids: readonly string[]): { pss: number; processes: number } {
  const ours = readlinkSync('/proc/self/ns/pid');
  let pss = 0;
  let processes = 0;
  for (const id of ids) {
    const record = JSON.parse(readFileSync(join(STARTUP_ENV.NSBOX_STATE, 'boxes', id, 'state.json'), 'utf8'));
    const supervisor: number = record.supervisor.pid;
    for (const pid of [supervisor, ...descendantsOf(supervisor)].filter((p) => readlinkSync(`/proc/${p}/ns/pid`) === ours)) {
      pss += Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? NaN);
      processes += 1;
    }
  }
  return { pss, processes };
}

function descendantsOf(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${name}/status`, 'utf8'))?.[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => (children.get(p) ?? []).forEach((c) => (out.push(c), walk(c)));
  walk(pid);
  return out;
}
