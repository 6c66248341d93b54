// After release: which host process is the box's command (PID 1 of its pid namespace), and its namespaces.

import { setTimeout as sleep } from 'node:timers/promises';
import { findCommandPid } from '../exec/signals.js';
import { NAMESPACE_NAMES, type NamespaceName } from '../host/namespaces.js';
import { readNamespaceInodes } from '../ns/inodes.js';
import { identify, type ProcessIdentity } from '../state/proc-identity.js';

/** The command's identity: the reaper's first child, or the box process itself without a reaper (waits up to 2 s). */
export async function findInit(boxPid: number, viaReaper: boolean, timeoutMs = 2000): Promise<ProcessIdentity | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pid = findCommandPid(boxPid, viaReaper);
    const who = pid === undefined ? undefined : identify(pid);
    if (who || Date.now() > deadline) return who;
    await sleep(1);
  }
}

/** The namespace inodes of a process, for the record (inspect shows them; exec is checked against them). */
export function readRecordedNamespaces(pid: number): Partial<Record<NamespaceName, number>> {
  const inodes = readNamespaceInodes(pid, false);
  const out: Partial<Record<NamespaceName, number>> = {};
  for (const name of NAMESPACE_NAMES) if (inodes[name] !== undefined) out[name] = inodes[name];
  return out;
}
