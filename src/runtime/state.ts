// The runtime's state directory: <root>/<id>/ holds state.json (written whole, temp file + rename), the gate
// (exec.fifo) while the container is created but not started, plan.sh (what create ran, for `explain`) and
// light.env (for the light calls in sh, light-env.ts).
// Status comes from the init's identity (pid + start time + boot id), never from a pid alone.

import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { NsboxError } from '../errors.js';
import { writeFileAtomic } from '../state/atomic-file.js';
import { isAlive, type ProcessIdentity } from '../state/proc-identity.js';
import type { ContainerCgroup } from './cgroups.js';
import type { OciHooks, OciProcess } from '../oci/container.js';
import type { Toolbox } from '../rootfs/toolbox.js';
import type { BoxSeccomp } from '../seccomp/prepare.js';
import type { NamespaceName } from '../host/namespaces.js';

export type Status = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

export interface RuntimeState {
  readonly ociVersion: string;
  readonly id: string;
  readonly bundle: string;
  readonly rootfs: string;
  readonly init: ProcessIdentity;
  /** RFC 3339, for `list`. */
  readonly created: string;
  readonly annotations: Readonly<Record<string, string>>;
  readonly cgroup: ContainerCgroup;
  /** Namespaces the container has of its own or joined (exec enters each). */
  readonly namespaces: readonly NamespaceName[];
  readonly hooks: OciHooks;
  /** What exec needs to become a process like the container's: its toolbox and seccomp filter. */
  readonly toolbox: Toolbox;
  readonly seccomp: BoxSeccomp | undefined;
  readonly apparmor: boolean;
  readonly owner: string;
  /** config.json's process: exec's defaults (capabilities, user) when no --process file is given. */
  readonly process: OciProcess;
}

/** runc's rule for ids: no path separators, not "." or "..". */
const ID = /^[\w+\-.]+$/;

export function checkId(id: string | undefined): string {
  if (id === undefined || id === '') throw new NsboxError('container id cannot be empty');
  if (!ID.test(id) || id === '.' || id === '..') throw new NsboxError(`invalid container id ${JSON.stringify(id)}: letters, digits and _ + - . only`);
  return id;
}

export interface StatePaths {
  readonly dir: string;
  readonly state: string;
  readonly fifo: string;
  /** With startContainer hooks: the init writes their verdict here, `start` reads it. */
  readonly verdict: string;
  /** With a user namespace: where the container side waits while its id maps are written (launch-scripts.ts). */
  readonly userns: string;
  readonly plan: string;
  /** What the light calls in sh read (light-env.ts); absent when they leave everything to Node. */
  readonly light: string;
}

export function statePaths(root: string, id: string): StatePaths {
  const dir = join(root, checkId(id));
  return { dir, state: join(dir, 'state.json'), fifo: join(dir, 'exec.fifo'), verdict: join(dir, 'start-hooks.fifo'), userns: join(dir, 'userns.fifo'), plan: join(dir, 'plan.sh'), light: join(dir, 'light.env') };
}

export function ensureRoot(root: string): void {
  mkdirSync(root, { recursive: true, mode: 0o711 });
}

/** The container's state; "does not exist" (the words podman and containerd look for) when there is none. */
export function readState(root: string, id: string): RuntimeState {
  const paths = statePaths(root, id);
  try {
    return JSON.parse(readFileSync(paths.state, 'utf8')) as RuntimeState;
  } catch {
    throw new NsboxError(`container "${id}" does not exist`, { exitCode: 1 });
  }
}

export function writeState(root: string, state: RuntimeState): void {
  writeFileAtomic(statePaths(root, state.id).state, `${JSON.stringify(state, null, 2)}\n`);
}

export function listIds(root: string): string[] {
  try {
    return readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory() && existsSync(join(root, e.name, 'state.json'))).map((e) => e.name).sort();
  } catch {
    return [];
  }
}

/** The runtime-spec status: stopped once the init is gone; created while the gate is shut; paused when frozen. */
export function statusOf(root: string, state: RuntimeState): Status {
  if (!isAlive(state.init)) return 'stopped';
  if (existsSync(statePaths(root, state.id).fifo)) return 'created';
  if (isFrozen(state.cgroup)) return 'paused';
  return 'running';
}

/** freezer.state (v1) or cgroup.freeze (v2) of the container's cgroup. */
export function isFrozen(cgroup: ContainerCgroup): boolean {
  const dir = freezerDir(cgroup);
  if (dir === undefined) return false;
  try {
    if (cgroup.version === 2) return readFileSync(join(dir, 'cgroup.freeze'), 'utf8').trim() === '1';
    return readFileSync(join(dir, 'freezer.state'), 'utf8').trim() !== 'THAWED';
  } catch {
    return false;
  }
}

export function freezerDir(cgroup: ContainerCgroup): string | undefined {
  if (cgroup.version === 2) return cgroup.dirs[0]?.dir;
  return cgroup.dirs.find((d) => d.controllers.includes('freezer'))?.dir;
}

/** The state JSON of runtime-spec (runtime.md "State"), as `state` prints and hooks read on stdin. */
export function stateJson(root: string, state: RuntimeState, status = statusOf(root, state)): Record<string, unknown> {
  return {
    ociVersion: state.ociVersion,
    id: state.id,
    status,
    pid: status === 'stopped' ? 0 : state.init.pid,
    bundle: state.bundle,
    rootfs: state.rootfs,
    created: state.created,
    owner: state.owner,
    annotations: state.annotations,
  };
}
