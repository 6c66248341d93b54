// The reaper of a box with a terminal (-t): it waits at the gate, then becomes the terminal relay (src/tty/
// relay-program.ts), whose child is the box's first process on a pty of its own. Outside the box's pid namespace,
// like every reaper, so no box process can reach the relay that holds the caller's terminal.

import { quoteWord } from '../plan/quote.js';
import { gateLines, pid1Launch } from '../plan/box-scripts.js';
import { unsetLine } from '../plan/script-env.js';
import type { ExecStep } from '../plan/types.js';

/** The relay's process title, as ps and lsns show it. */
export function relayTitle(id: string): string {
  return `nsbox-tty ${id.slice(0, 12)}`;
}

export interface TtyReaperOptions {
  readonly id: string;
  /**
   * Image boxes: nsbox has mounted a devpts instance of the box's own on /dev/pts of its mount namespace (see
   * ownDevptsStep), so the pty comes from it. Host-root boxes use the /dev/ptmx they see (the host's devpts).
   */
  readonly ownDevpts: boolean;
  /** Image boxes: PID 1's environment (see Pid1Options). */
  readonly cleanEnv?: string;
  /** The cgroup files this shell writes 0 into after its gate (see Pid1Options). */
  readonly selfJoin?: readonly string[];
  /**
   * `run -dit`: no caller terminal; the relay writes the pty's output to the box's log and serves `nsbox attach` on
   * this unix socket (the box's attach.sock).
   */
  readonly attachSocket?: string;
}

/** The mount options of a box's own devpts instance (Docker's): ptmx usable by all, ptys owned by group tty. */
export const BOX_DEVPTS_OPTIONS = 'newinstance,ptmxmode=0666,mode=0620,gid=5,nosuid,noexec';

/**
 * -t on an image box: the devpts instance, mounted from outside with nsenter while the box waits at its gate (a
 * process the reaper forked would become PID 1 of the new pid namespace).
 */
export function ownDevptsStep(): ExecStep {
  return {
    kind: 'exec',
    argv: ['nsenter', '--target', '{box}', '--mount', '--', 'mount', '-n', '-t', 'devpts', '-o', BOX_DEVPTS_OPTIONS, 'devpts', '/dev/pts'],
    why: '-t: a devpts instance of the box\'s own on /dev/pts of its mount namespace (private: the host\'s is untouched); the relay\'s pty comes from it, and the init binds it into the box.',
  };
}

/** Arguments: the command's argv; the init's and the relay's texts come in NSBOX_INIT and NSBOX_RELAY. */
export function buildTtyReaperScript(options: TtyReaperOptions): string {
  const lines = [
    '# Parent of the box\'s PID 1, outside its pid namespace: becomes the terminal relay, which runs PID 1 on a pty',
    '# of the box\'s own and exits with its status. Only the relay holds your terminal; the box gets the pty\'s slave.',
    unsetLine(['reaper']),
    ...gateLines(options.selfJoin),
    'relay=$NSBOX_RELAY; unset NSBOX_RELAY',
  ];
  const ptmx = options.ownDevpts ? '/dev/pts/ptmx' : '/dev/ptmx';
  lines.push(
    '# PID 1 dies with the relay (parent-death signal), and the kernel then ends every process of the box.',
    `exec perl -e "$relay" ${quoteWord(relayTitle(options.id))} ${ptmx} ${options.attachSocket === undefined ? '1' : quoteWord(options.attachSocket)} 1 -- ${pid1Launch({ cleanEnv: options.cleanEnv, defaultSignals: options.attachSocket !== undefined })}`,
  );
  return lines.join('\n');
}
