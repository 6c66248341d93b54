// The first record of a box (phase 'creating'), built from its description and plan before anything is changed.

import type { BoxDescription } from '../spec/box-description.js';
import { undosOf, type Plan, type UndoStep } from '../plan/types.js';
import { identify } from '../state/proc-identity.js';
import { RECORD_VERSION, type BoxRecord, type RecordedConfig } from '../state/record.js';
import type { Toolbox } from '../rootfs/toolbox.js';
import { describeRecordedNetwork } from './record-network.js';
import { describeBoxConfig } from './record-config.js';
import type { BoxConfig } from './box-config.js';
import type { LaunchRecipe } from './relaunch.js';

export interface NewBoxOptions {
  readonly name: string | undefined;
  readonly detached: boolean;
  readonly autoRemove: boolean;
  readonly image?: string;
  /** Image boxes: the image's environment is the whole of it (false); host boxes inherit nsbox's (true). */
  readonly inheritEnv?: boolean;
  /** Image boxes: the toolbox mounted in the box. */
  readonly toolbox?: Toolbox;
  /** Undos to run on rm beyond the plan's (created first, so run last): an image box's container directory. */
  readonly kept?: readonly UndoStep[];
  /** What inspect shows of the flags (default: what a host-root description says). */
  readonly config?: RecordedConfig;
  /** Labels, restart policy, stop signal and timeout (Docker's defaults when absent). */
  readonly settings?: BoxConfig;
  readonly entrypoint?: readonly string[];
  readonly launch?: LaunchRecipe;
}

/**
 * Every undo the plan may need, in plan order, written before the first step runs: if nsbox dies at any step, rm
 * and gc run them all (each is harmless when its step never happened: removing what does not exist is a no-op).
 */
export function listPlannedUndos(plan: Plan): UndoStep[] {
  return plan.steps.flatMap(undosOf);
}

/** The record written when the box's directory is created. */
export function buildNewRecord(spec: BoxDescription, plan: Plan, options: NewBoxOptions): BoxRecord {
  return {
    version: RECORD_VERSION,
    id: spec.id,
    name: options.name,
    created: new Date().toISOString(),
    phase: 'creating',
    owner: identify(process.pid)!,
    detached: options.detached,
    autoRemove: options.autoRemove,
    image: options.image,
    ...(options.toolbox ? { toolbox: options.toolbox } : {}),
    command: [...spec.process.argv],
    process: {
      env: { ...spec.process.env },
      inheritEnv: options.inheritEnv ?? true,
      workdir: spec.process.workdir,
      runAs: spec.process.runAs,
      ...(spec.process.rlimits ? { rlimits: spec.process.rlimits } : {}),
      ...(spec.process.groups ? { groups: spec.process.groups } : {}),
    },
    supervisor: undefined,
    init: undefined,
    namespaces: {},
    cgroup: plan.cgroup,
    config: options.config ?? describeBoxConfig(spec),
    network: describeRecordedNetwork(spec.network),
    mounts: [],
    undo: [...(options.kept ?? []), ...listPlannedUndos(plan)],
    exit: undefined,
    labels: { ...(options.settings?.labels ?? {}) },
    restartPolicy: options.settings?.restartPolicy ?? { name: 'no', maximumRetryCount: 0 },
    restartCount: 0,
    entrypoint: options.entrypoint ? [...options.entrypoint] : [],
    stopSignal: options.settings?.stopSignal ?? 'SIGTERM',
    stopTimeout: options.settings?.stopTimeout ?? 10,
    withInit: spec.init,
    ...(options.launch ? { launch: options.launch } : {}),
  };
}
