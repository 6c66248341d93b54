// `nsbox update [limit flags] [--restart P] BOX...`, as `docker update`: new memory, swap, CPU and process limits for
// boxes, written into a running box's cgroups at once and kept in its record (start and restart keep them too), and
// a new restart policy.

import type { Argv } from 'yargs';
import type { NsboxCommand } from './command.js';
import { eachBox } from './each-box.js';
import { NsboxError } from '../errors.js';
import { STATE_OPTION } from '../state/paths.js';
import { withLock } from '../state/lock.js';
import { saveRecord } from '../state/store.js';
import { openBox, openStateFromArgs, refreshBox } from '../lifecycle/open-box.js';
import { CGROUP_OPTIONS, cgroupRequestFromFlags } from '../cgroup/flags.js';
import { detectCgroupHost } from '../cgroup/detect.js';
import type { CgroupRequest } from '../cgroup/request.js';
import type { BoxRecord } from '../state/record.js';
import { applyLimitWrites, planLimitUpdate } from '../lifecycle/update-limits.js';
import { parseRestartPolicy } from '../lifecycle/box-config.js';
import { afterExitArgv } from '../lifecycle/relaunch.js';

const NOTHING = 'nothing to update: give a limit (--memory, --memory-swap, --cpus, --cpu-shares, --cpuset-cpus, --pids-limit) or --restart';
const LIMIT_FLAGS = ['memory', 'memory-swap', 'cpus', 'cpu-shares', 'cpuset-cpus', 'pids-limit'] as const;
const { 'cgroup-parent': _parent, ...LIMIT_OPTIONS } = CGROUP_OPTIONS;

interface UpdateArgs {
  boxes: string[];
  state: string | undefined;
  [flag: string]: unknown;
}

/** The recorded request with the given flags' values in place (validated as `run` validates them). */
export function mergeLimits(old: CgroupRequest | undefined, args: Readonly<Record<string, unknown>>): CgroupRequest {
  // --memory-swap alone is checked against the memory limit the box has.
  const withMemory = args['memory-swap'] !== undefined && args.memory === undefined && old?.memoryBytes !== undefined ? { ...args, memory: String(old.memoryBytes) } : args;
  const given = cgroupRequestFromFlags({ ...withMemory, 'cgroup-parent': undefined });
  if (given === undefined) throw new NsboxError(NOTHING);
  const base: CgroupRequest = old ?? { memoryBytes: undefined, memorySwapBytes: undefined, cpuQuotaUs: undefined, cpuPeriodUs: undefined, cpuShares: undefined, cpusetCpus: undefined, pidsLimit: undefined, parent: given.parent, parentBase: given.parentBase };
  const pick = <K extends keyof CgroupRequest>(key: K, flag: string): CgroupRequest[K] => (args[flag] !== undefined ? given[key] : base[key]);
  const next: CgroupRequest = {
    ...base,
    memoryBytes: pick('memoryBytes', 'memory'),
    memorySwapBytes: pick('memorySwapBytes', 'memory-swap'),
    cpuQuotaUs: pick('cpuQuotaUs', 'cpus'),
    cpuPeriodUs: pick('cpuPeriodUs', 'cpus'),
    cpuShares: pick('cpuShares', 'cpu-shares'),
    cpusetCpus: pick('cpusetCpus', 'cpuset-cpus'),
    pidsLimit: pick('pidsLimit', 'pids-limit'),
  };
  // As run: a swap limit below the memory limit is refused.
  if (typeof next.memorySwapBytes === 'number' && next.memoryBytes !== undefined && next.memorySwapBytes < next.memoryBytes) {
    throw new NsboxError(`invalid --memory ${String(args.memory ?? next.memoryBytes)}: more than the box's --memory-swap (${next.memorySwapBytes} bytes); give --memory-swap too`);
  }
  return next;
}

/** The record with the new limits wherever it keeps them: inspect's config, the cgroup facts, the launch recipe. */
function withLimits(record: BoxRecord, next: CgroupRequest): BoxRecord {
  const launch = record.launch;
  return {
    ...record,
    ...(record.config ? { config: { ...record.config, resources: next } } : {}),
    ...(record.cgroup ? { cgroup: { ...record.cgroup, memoryBytes: next.memoryBytes, pidsLimit: next.pidsLimit } } : {}),
    ...(launch === undefined ? {} : launch.kind === 'host' ? { launch: { ...launch, spec: { ...launch.spec, cgroup: next } } } : { launch: { ...launch, spec: { ...launch.spec, box: { ...launch.spec.box, cgroup: next } } } }),
  };
}

export const command: NsboxCommand<UpdateArgs> = {
  usage: 'update <boxes..>',
  describe: 'change the memory, CPU and process limits (running boxes at once) and the restart policy of boxes, as docker update',
  builder: (y: Argv) =>
    y
      .positional('boxes', { type: 'string', array: true })
      .options(LIMIT_OPTIONS)
      .option('restart', { type: 'string', describe: 'restart policy: no, on-failure[:N], always or unless-stopped (as run --restart)' })
      .options(STATE_OPTION)
      .example('$0 update --memory 512m --memory-swap 1g --cpus 1.5 web', 'new limits for the running box web')
      .example('$0 update --pids-limit 200 a b', 'the same limit for two boxes') as unknown as Argv<UpdateArgs>,
  async handler(args) {
    const state = openStateFromArgs(args);
    const limits = LIMIT_FLAGS.some((f) => args[f] !== undefined);
    const restart = args.restart === undefined ? undefined : parseRestartPolicy(String(args.restart));
    if (!limits && restart === undefined) throw new NsboxError(NOTHING);
    return eachBox(args.boxes.map(String), async (ref) => {
      const box = openBox(state, ref);
      const label = box.record.name ?? box.record.id.slice(0, 12);
      await withLock(box.paths.lock, `box ${label}`, async () => {
        const { record, now } = refreshBox(box);
        let updated = record;
        if (limits) {
          const old = record.config?.resources;
          const next = mergeLimits(old, args);
          if (now.status === 'running') {
            if (!record.cgroup) throw new NsboxError(`cannot update box ${label}: it has no cgroup of its own`);
            applyLimitWrites(planLimitUpdate(old, next, record.id, detectCgroupHost(), record.cgroup.dirs));
          }
          updated = withLimits(updated, next);
        }
        if (restart !== undefined) {
          // The box's exit hook reads the policy from the record when the box ends; a box started without a policy
          // (and without --rm) has no such hook until its next start.
          if (now.status === 'running' && restart.name !== 'no' && afterExitArgv(state, record) === undefined) {
            process.stderr.write(`nsbox: box ${label} was started without a restart policy: --restart ${String(args.restart)} applies from its next start\n`);
          }
          updated = { ...updated, restartPolicy: restart };
        }
        saveRecord(state, updated);
      });
    });
  },
};
