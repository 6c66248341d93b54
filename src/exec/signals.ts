// Forwards the signals nsbox receives to the box's command, the way `docker run` proxies them.

import { readFileSync } from 'node:fs';

export const FORWARDED: readonly NodeJS.Signals[] = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];
/** Signals a terminal sends to its whole foreground process group (so the command may have it already). */
const FROM_TERMINAL: readonly NodeJS.Signals[] = ['SIGINT', 'SIGQUIT', 'SIGWINCH'];

export interface SignalForwarding {
  dispose(): void;
}

/**
 * Install handlers for FORWARDED (but `except`). `target()` is the command's host PID (undefined before it exists): a signal then
 * goes to `early` instead (set-up is aborted). A terminal-generated signal that the command already got as a
 * member of our foreground process group is not sent twice.
 */
export function forwardSignals(target: () => number | undefined, early: (signal: NodeJS.Signals) => void, except: readonly NodeJS.Signals[] = []): SignalForwarding {
  const handlers = new Map<NodeJS.Signals, () => void>();
  for (const signal of FORWARDED) {
    if (except.includes(signal)) continue;
    const handler = () => {
      const pid = target();
      if (pid === undefined) {
        if (signal !== 'SIGWINCH') early(signal);
        return;
      }
      if (FROM_TERMINAL.includes(signal) && terminalAlreadyDelivered(pid)) return;
      try {
        process.kill(pid, signal);
      } catch {
        // the command is gone; its exit is on the way
      }
    };
    handlers.set(signal, handler);
    process.on(signal, handler);
  }
  return {
    dispose() {
      for (const [signal, handler] of handlers) process.off(signal, handler);
    },
  };
}

/** True when we are the terminal's foreground process group and the command is still in that group. */
function terminalAlreadyDelivered(pid: number): boolean {
  const self = readStat('self');
  const command = readStat(String(pid));
  if (!self || !command) return false;
  return self.tpgid > 0 && self.tpgid === self.pgrp && command.pgrp === self.pgrp;
}

/** pgrp and tpgid (fields 5 and 8) of /proc/<pid>/stat; the name in field 2 may contain spaces and parens. */
function readStat(pid: string): { pgrp: number; tpgid: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { pgrp: Number(fields[2]), tpgid: Number(fields[5]) };
  } catch {
    return undefined;
  }
}

/** The command's PID: the box itself, or (with a pid namespace) the reaper's child, PID 1 inside. */
export function findCommandPid(boxPid: number, viaReaper: boolean): number | undefined {
  if (!viaReaper) return boxPid;
  try {
    const children = readFileSync(`/proc/${boxPid}/task/${boxPid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return children.length > 0 ? Number(children[0]) : undefined;
  } catch {
    return undefined;
  }
}
