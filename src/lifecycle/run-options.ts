// The flags `run` takes for boxes that outlive the command line: -d, --name, --cidfile, --rm, --state (loaded on the run path:
// data only).

import type { Options } from 'yargs';

const GROUP = 'Lifecycle (boxes that ps, exec, stop and rm can find):';

export const LIFECYCLE_OPTIONS: Readonly<Record<string, Options>> = {
  detach: { alias: 'd', type: 'boolean', group: GROUP, describe: 'run in the background: print the box id and exit; output goes to nsbox logs' },
  name: { type: 'string', group: GROUP, describe: 'name of the box ([a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 63); the box is recorded' },
  cidfile: { type: 'string', group: GROUP, describe: 'write the box\'s id to this file, as docker --cidfile (refused if it exists; removed if the box is not made); the box is recorded' },
  rm: { type: 'boolean', group: GROUP, describe: 'remove the box when it exits' },
  state: { type: 'string', group: GROUP, describe: 'state directory of the boxes', defaultDescription: '$NSBOX_STATE, else /run/nsbox' },
  restart: { type: 'string', group: GROUP, describe: 'no, on-failure[:N], always or unless-stopped: the box\'s supervisor restarts it (with -d)' },
  label: { alias: 'l', type: 'string', array: true, group: GROUP, describe: 'KEY=VALUE kept in the record (inspect, ps --filter label=)' },
  'stop-signal': { type: 'string', group: GROUP, describe: 'signal `stop` sends first (default SIGTERM)' },
  'stop-timeout': { type: 'string', group: GROUP, describe: 'seconds `stop` waits before SIGKILL (default 10)' },
};

/** Set by `nsbox create` on the run flags it parsed: record the box, start nothing (see startModeOf). */
export const CREATE_ONLY = 'nsbox-create-only';

/** How `run` (or `create`) starts the box: create-only records it for `start`; -d hands it to a supervisor. */
export function startModeOf(args: Readonly<Record<string, unknown>>): 'foreground' | 'detached' | 'create-only' {
  return args[CREATE_ONLY] === true ? 'create-only' : args.detach === true ? 'detached' : 'foreground';
}

/** True when the box is recorded in the state directory (detached or named); plain `run -- CMD` is not. */
export function isRecorded(args: Readonly<Record<string, unknown>>): boolean {
  return args.detach === true || args.name !== undefined || args[CREATE_ONLY] === true || (args.cidfile !== undefined && args.cidfile !== '');
}
