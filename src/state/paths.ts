// Where box state lives and how it is laid out (the one place that knows these paths).
//
// STATE (default /run/nsbox: tmpfs, so a reboot starts clean; --state DIR or NSBOX_STATE move it):
//   boxes/<id>/state.json   the box record, always replaced whole (written to a temp file, then renamed)
//   boxes/<id>/log          a detached box's output: its terminal's (-t; rotated to log.1 as streams.log is), or both streams (boxes from before streams.log)
//   boxes/<id>/streams.log  a detached box's stdout and stderr without a terminal, a record per line (plan/log-writer.ts)
//   boxes/<id>/exit         PID 1's exit status, written by the supervisor shell when it ends
//   boxes/<id>/lock         held while one nsbox operates on the box (owner pid + start time inside)
//   names/<name>            symlink to the id: created with symlink(2), which fails if the name is taken
//   names.lock              held while a stale name is reclaimed
//   tmp/<id>/               a box being created: renamed into boxes/ once its record is complete

import { isAbsolute, join, resolve } from 'node:path';
import type { Options } from 'yargs';
import { flagError } from '../errors.js';

export const DEFAULT_STATE_ROOT = '/run/nsbox';

/** The --state flag every lifecycle command takes. */
export const STATE_OPTION: Readonly<Record<string, Options>> = {
  state: { type: 'string', describe: 'state directory of the boxes', defaultDescription: '$NSBOX_STATE, else /run/nsbox' },
};

export interface StatePaths {
  readonly root: string;
  readonly boxes: string;
  readonly names: string;
  readonly namesLock: string;
  readonly tmp: string;
}

/** The state root from --state, else NSBOX_STATE, else /run/nsbox (relative paths resolved against cwd). */
export function resolveStateRoot(flag: unknown, env: NodeJS.ProcessEnv = process.env): string {
  if (flag !== undefined) {
    if (typeof flag !== 'string' || flag.trim() === '') throw flagError('--state', flag, 'expected a directory path');
    return isAbsolute(flag) ? resolve(flag) : resolve(process.cwd(), flag);
  }
  const fromEnv = env.NSBOX_STATE;
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv);
  return DEFAULT_STATE_ROOT;
}

/** The paths under one state root (nothing is created). */
export function describeState(root: string): StatePaths {
  return { root, boxes: join(root, 'boxes'), names: join(root, 'names'), namesLock: join(root, 'names.lock'), tmp: join(root, 'tmp') };
}

/** The files of one box. */
export interface BoxPaths {
  readonly dir: string;
  readonly record: string;
  readonly log: string;
  readonly streams: string;
  readonly exit: string;
  readonly lock: string;
  /** `run -dit`: the terminal relay's unix socket, for `nsbox attach`. */
  readonly attach: string;
  /** `run -d -i`: the fifo that is the box's stdin, for `nsbox attach` (there while the box's stdin is open). */
  readonly stdin: string;
}

/** The files of box `id` inside `dir` (its final dir, or its dir under tmp/ while being created). */
export function describeBoxDir(dir: string): BoxPaths {
  return { dir, record: join(dir, 'state.json'), log: join(dir, 'log'), streams: join(dir, 'streams.log'), exit: join(dir, 'exit'), lock: join(dir, 'lock'), attach: join(dir, 'attach.sock'), stdin: join(dir, 'stdin') };
}

/** The final directory of box `id`. */
export function boxDirOf(state: StatePaths, id: string): string {
  return join(state.boxes, id);
}
