// light.env: what the light calls in sh (light-calls.sh: start, state, kill, delete without Node) need of one
// container, as sh assignments written by create beside state.json. Only a container whose every light call is
// plain gets one: no hooks in the phases those calls run, and cgroup paths sh can split at spaces unquoted. Without
// it every call goes to Node, which stays the one place errors are worded.

import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { quoteWord } from '../plan/quote.js';
import { freezerDir, stateJson, statePaths, type RuntimeState } from './state.js';

/** Characters a cgroup path may have to be split by sh at spaces with no quoting and no glob. */
const PLAIN_PATH = /^\/[\w./:@+=,-]*$/;
const STATUS = '\u0001status\u0001';
const PID = '\u0001pid\u0001';

/** The file's text, or undefined when a light call of this container would not be plain (see above). */
export function renderLightEnv(root: string, state: RuntimeState): string | undefined {
  const hooks = state.hooks;
  if ((hooks.startContainer ?? []).length + (hooks.poststart ?? []).length + (hooks.poststop ?? []).length > 0) return undefined;
  const procs = state.cgroup.dirs.map((d) => join(d.dir, 'cgroup.procs'));
  // delete removes these deepest first, as removeCgroupDirs does.
  const created = [...state.cgroup.created].sort((a, b) => b.length - a.length);
  const freezer = freezerDir(state.cgroup);
  const freezerFile = freezer === undefined ? '' : join(freezer, state.cgroup.version === 2 ? 'cgroup.freeze' : 'freezer.state');
  if (![...procs, ...created, ...(freezerFile ? [freezerFile] : [])].every((p) => PLAIN_PATH.test(p))) return undefined;
  // The state JSON exactly as `state` prints it (lifecycle.ts printState), cut around its status and pid. Spreading
  // keeps the keys where stateJson puts them.
  const json = `${JSON.stringify({ ...stateJson(root, state, 'running'), status: STATUS, pid: PID }, null, 2)}\n`;
  const [head, rest, ...extra] = json.split(JSON.stringify(STATUS));
  const [mid, tail, ...more] = (rest ?? '').split(JSON.stringify(PID));
  // A placeholder in the container's own text (an annotation): no light calls, rather than a wrong cut.
  if (head === undefined || mid === undefined || tail === undefined || extra.length + more.length > 0) return undefined;
  const lines = [
    '# nsbox-runtime light calls (start, state, kill, delete in sh: dist/bundle/runtime-light.sh) read this; state.json is the record.',
    `light_pid=${state.init.pid}`,
    `light_start_time=${state.init.startTime}`,
    `light_boot_id=${quoteWord(state.init.bootId)}`,
    `light_dir=${quoteWord(realpathSync(statePaths(root, state.id).dir))}`,
    `light_cgroup_version=${state.cgroup.version}`,
    `light_procs=${quoteWord(procs.join(' '))}`,
    `light_created=${quoteWord(created.join(' '))}`,
    `light_freezer=${quoteWord(freezerFile)}`,
    '# The state JSON around its "status" value and its "pid" (0 once stopped).',
    `light_json_head=${quoteWord(`${head}"`)}`,
    `light_json_mid=${quoteWord(`"${mid}`)}`,
    `light_json_tail=${quoteWord(tail)}`,
    '',
  ];
  return lines.join('\n');
}
