// start, state, kill, delete, pause, resume, list, ps, update: the runtime-spec operations on a created container.
// Callers make these calls once or more per container, so they start no child process they do not need and load
// what only some of them use (hooks, ps, update's parser, the mount-aware remover) when it is used.

import { closeSync, constants as fsConstants, existsSync, openSync, readFileSync, rmSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NsboxError } from '../errors.js';
import { HOST_ENV } from '../host/host-env.js';
import { isAlive } from '../state/proc-identity.js';
import { mountsBelow } from '../exec/mounts-below.js';
import { knobWrites, listCgroupPids } from './cgroups.js';
import type { OciHookPhase } from '../oci/container.js';
import { killEverything, removeCgroupDirs } from './remove.js';
import { parseSignal } from './signals.js';
import { freezerDir, listIds, readState, stateJson, statePaths, statusOf, type RuntimeState } from './state.js';

type Out = (text: string) => void;

/** config.json's hooks of these phases, run only when there are any (hooks.ts spawns them). */
async function runHooks(root: string, state: RuntimeState, names: readonly OciHookPhase[], status?: 'created' | 'running' | 'stopped'): Promise<void> {
  if (!names.some((name) => (state.hooks[name] ?? []).length > 0)) return;
  await (await import('./hooks.js')).runHooks(root, state, names, status);
}

export async function startContainer(root: string, id: string): Promise<void> {
  const state = readState(root, id);
  const status = statusOf(root, state);
  if (status !== 'created') throw new NsboxError(status === 'stopped' ? 'cannot start a container that has stopped' : `cannot start an already ${status} container`);
  const paths = statePaths(root, id);
  const fifo = paths.fifo;
  let fd: number;
  try {
    // Non-blocking: with no reader (the init died) this fails at once (ENXIO) instead of hanging.
    fd = openSync(fifo, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
  } catch (error) {
    throw new NsboxError(`cannot start the container: its init is not waiting at the gate (${(error as NodeJS.ErrnoException).code})`);
  }
  // startContainer hooks run in the init (init-hooks.ts): it holds the verdict fifo open, so this open returns at
  // once, and the read below ends when the init closes it (after the hooks, or by exiting).
  const hooked = (state.hooks.startContainer ?? []).length > 0;
  const verdict = hooked ? openSync(paths.verdict, fsConstants.O_RDONLY) : undefined;
  try {
    writeSync(fd, hooked ? `${JSON.stringify(stateJson(root, state, 'created'))}\n` : 'start\n');
  } finally {
    closeSync(fd);
  }
  if (verdict !== undefined) {
    let said: string;
    try {
      said = readFileSync(verdict, 'utf8');
    } finally {
      closeSync(verdict);
      unlinkSync(paths.verdict);
    }
    const failed = said.split('\n').find((l) => l.startsWith('failed: '));
    if (failed) {
      unlinkSync(fifo);
      const detail = said.split('\n').filter((l) => l && l !== failed).join('; ');
      throw new NsboxError(`cannot start the container: ${failed.slice('failed: '.length)} failed${detail ? `: ${detail}` : ''}`);
    }
  }
  unlinkSync(fifo);
  await runHooks(root, state, ['poststart'], 'running');
}

export function printState(root: string, id: string, out: Out): void {
  const state = readState(root, id);
  out(`${JSON.stringify(stateJson(root, state), null, 2)}\n`);
}

export function killContainer(root: string, id: string, signalWord: string | undefined, all: boolean): void {
  const state = readState(root, id);
  const signal = parseSignal(signalWord);
  const status = statusOf(root, state);
  if (status === 'stopped') throw new NsboxError('container not running');
  const pids = all ? listCgroupPids(state.cgroup.dirs.map((d) => d.dir)) : [state.init.pid];
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch (error) {
      if (!all) throw new NsboxError(`cannot signal the container: ${(error as NodeJS.ErrnoException).code === 'ESRCH' ? 'no such process' : (error as Error).message}`);
    }
  }
}

export async function deleteContainer(root: string, id: string, force: boolean): Promise<void> {
  if (!existsSync(statePaths(root, id).state)) {
    if (force) return;
    readState(root, id); // throws "does not exist"
  }
  const state = readState(root, id);
  const status = statusOf(root, state);
  if (status !== 'stopped' && !force) throw new NsboxError(`cannot delete container ${id} that is not stopped: ${status}`);
  if (status === 'paused') thaw(state);
  await killEverything(state.cgroup, isAlive(state.init) ? state.init.pid : undefined);
  await removeCgroupDirs(state.cgroup);
  await runHooks(root, state, ['poststop'], 'stopped');
  // Nothing is mounted in a state directory, but never delete through a mount: the runner detaches them first.
  const dir = statePaths(root, id).dir;
  if (mountsBelow(dir).length > 0) await (await import('../exec/runner.js')).hostRunner.remove(dir);
  else rmSync(dir, { recursive: true, force: true });
}

export async function pauseContainer(root: string, id: string, freeze: boolean): Promise<void> {
  const state = readState(root, id);
  const status = statusOf(root, state);
  if (freeze && status !== 'running') throw new NsboxError(`cannot pause a container that is ${status}`);
  if (!freeze && status !== 'paused') throw new NsboxError(`cannot resume a container that is ${status}, not paused`);
  const dir = freezerDir(state.cgroup);
  if (dir === undefined) throw new NsboxError('cannot pause the container: the freezer controller is not mounted');
  if (!freeze) return thaw(state);
  if (state.cgroup.version === 2) writeFileSync(join(dir, 'cgroup.freeze'), '1');
  else writeFileSync(join(dir, 'freezer.state'), 'FROZEN');
  // v1 goes FREEZING -> FROZEN; wait for the end so a paused container is really still.
  for (let i = 0; i < 200; i++) {
    const now = state.cgroup.version === 2 ? (/^frozen 1$/m.test(readFileSync(join(dir, 'cgroup.events'), 'utf8')) ? 'FROZEN' : '') : readFileSync(join(dir, 'freezer.state'), 'utf8').trim();
    if (now === 'FROZEN') return;
    await sleep(5);
  }
  throw new NsboxError('cannot pause the container: it did not freeze within 1s');
}

function thaw(state: RuntimeState): void {
  const dir = freezerDir(state.cgroup);
  if (dir === undefined) return;
  if (state.cgroup.version === 2) writeFileSync(join(dir, 'cgroup.freeze'), '0');
  else writeFileSync(join(dir, 'freezer.state'), 'THAWED');
}

export function listContainers(root: string, format: string | undefined, quiet: boolean, out: Out): void {
  const states = listIds(root).flatMap((id) => {
    try {
      const s = readState(root, id);
      return [stateJson(root, s)];
    } catch {
      return [];
    }
  });
  if (quiet) return out(states.map((s) => `${s.id}\n`).join(''));
  if (format === 'json') return out(`${JSON.stringify(states)}\n`);
  const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'], ...states.map((s) => [String(s.id), String(s.pid), String(s.status), String(s.bundle), String(s.created), String(s.owner)])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  out(rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('').trimEnd()).map((l) => `${l}\n`).join(''));
}

export async function psContainer(root: string, id: string, format: string | undefined, psArgs: readonly string[], out: Out): Promise<void> {
  const state = readState(root, id);
  const pids = statusOf(root, state) === 'stopped' ? [] : listCgroupPids(state.cgroup.dirs.map((d) => d.dir)).sort((a, b) => a - b);
  if (format === 'json') return out(`${JSON.stringify(pids)}\n`);
  const { spawnSync } = await import('node:child_process');
  const ps = spawnSync('ps', psArgs.length > 0 ? [...psArgs] : ['-ef'], { encoding: 'utf8', env: HOST_ENV });
  if (ps.status !== 0) throw new NsboxError(`ps: ${ps.stderr.trim() || `exit status ${ps.status}`}`);
  const lines = ps.stdout.split('\n').filter(Boolean);
  const header = lines[0] ?? '';
  const column = header.trim().split(/\s+/).indexOf('PID');
  if (column === -1) throw new NsboxError('ps: the output has no PID column');
  const own = new Set(pids);
  out([header, ...lines.slice(1).filter((l) => own.has(Number(l.trim().split(/\s+/)[column])))].map((l) => `${l}\n`).join(''));
}

/** update --resources FILE|-: linux.resources JSON written into the container's cgroups. */
export async function updateContainer(root: string, id: string, resourcesFile: string | undefined, flags: Readonly<Record<string, unknown>>): Promise<void> {
  const state = readState(root, id);
  let raw: Record<string, unknown> = {};
  if (resourcesFile !== undefined) {
    const text = resourcesFile === '-' ? readFileSync(0, 'utf8') : readFileSync(resourcesFile, 'utf8');
    try {
      raw = JSON.parse(text) as Record<string, unknown>;
    } catch (error) {
      throw new NsboxError(`cannot parse the resources: ${(error as Error).message}`);
    }
  }
  const num = (name: string) => (typeof flags[name] === 'string' ? Number(flags[name]) : undefined);
  const memory = { ...((raw.memory as object | undefined) ?? {}), ...(num('memory') !== undefined ? { limit: num('memory') } : {}), ...(num('memory-swap') !== undefined ? { swap: num('memory-swap') } : {}) };
  const pids = num('pids-limit') !== undefined ? { limit: num('pids-limit') } : raw.pids;
  const cpu = { ...((raw.cpu as object | undefined) ?? {}), ...(num('cpu-shares') !== undefined ? { shares: num('cpu-shares') } : {}), ...(num('cpu-quota') !== undefined ? { quota: num('cpu-quota') } : {}), ...(num('cpu-period') !== undefined ? { period: num('cpu-period') } : {}) };
  const { parseResources } = await import('../oci/parse-resources.js');
  const { resources, deviceRules } = parseResources({ ...raw, memory, cpu, ...(pids !== undefined ? { pids } : {}) }, 'resources');
  // Only the rules the caller sent (runc's defaults were written at create).
  const steps = knobWrites(state.cgroup, resources, deviceRules.filter((r) => r.origin === 'config'));
  // v1 keeps memsw >= limit: growing needs memsw first, shrinking the limit first. Whatever fails goes again after.
  let pending = steps.flatMap((s) => (s.kind === 'write-file' ? [s] : []));
  for (let round = 0; round < 2 && pending.length > 0; round++) {
    const failed: typeof pending = [];
    let lastError: unknown;
    for (const step of pending) {
      try {
        writeFileSync(step.path, step.content);
      } catch (error) {
        failed.push(step);
        lastError = error;
      }
    }
    if (failed.length > 0 && round === 1) throw new NsboxError(`cannot update ${failed[0]!.path}: ${(lastError as NodeJS.ErrnoException).code ?? (lastError as Error).message}`);
    pending = failed;
  }
}
