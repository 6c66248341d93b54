// `nsbox update`: a box's new limits as cgroup file writes into the cgroups it already has. The kernel files and
// values come from the same layout code as `run` (layout-v1.ts, layout-v2.ts); only the writes whose value changes
// are made, each into the box's recorded cgroup on that hierarchy (never one computed again: nsbox's own cgroup,
// which --cgroup-parent ./x is relative to, may differ from the one that started the box).

import { writeFileSync } from 'node:fs';
import { NsboxError } from '../errors.js';
import type { CgroupHost } from '../cgroup/detect.js';
import { dirOf, type KnobWrite } from '../cgroup/layout.js';
import { layoutV1 } from '../cgroup/layout-v1.js';
import { layoutV2 } from '../cgroup/layout-v2.js';
import type { CgroupRequest } from '../cgroup/request.js';

export interface LimitWrite {
  /** Absolute path of the cgroup file. */
  readonly path: string;
  readonly value: string;
  readonly why: string;
}

/** The limits `next` writes that `old` did not write (same file, same value), aimed at the box's recorded cgroups. */
export function planLimitUpdate(old: CgroupRequest | undefined, next: CgroupRequest, boxId: string, host: CgroupHost, boxDirs: readonly string[]): LimitWrite[] {
  const limitsOf = (request: CgroupRequest): readonly KnobWrite[] => (host.mode === 'v2' ? layoutV2(request, boxId, host) : layoutV1(request, boxId, host)).limits;
  const before = new Set((old ? limitsOf(old) : []).map((w) => `${w.dir.mount}\0${w.file}\0${w.value}`));
  const writes: LimitWrite[] = [];
  for (const w of limitsOf(next)) {
    if (before.has(`${w.dir.mount}\0${w.file}\0${w.value}`)) continue;
    const dir = boxDirs.find((d) => d === w.dir.mount || d.startsWith(`${w.dir.mount}/`));
    if (dir === undefined) {
      throw new NsboxError(`cannot set ${w.file}: the box has no cgroup on ${dirOf({ mount: w.dir.mount, path: '/' })} (it was started without a limit there)`, { hint: 'remove the box and run it again with the limit' });
    }
    writes.push({ path: `${dir}/${w.file}`, value: w.value, why: w.why });
  }
  return writes;
}

/**
 * Makes the writes. The kernel checks each against the others (v1: memory.limit_in_bytes <= memsw; v2 alike), so
 * an order right for raising is wrong for lowering: what fails is tried again after the rest, once.
 */
export function applyLimitWrites(writes: readonly LimitWrite[]): void {
  let pending = [...writes];
  for (let round = 0; round < 2 && pending.length > 0; round++) {
    const failed: { write: LimitWrite; error: NodeJS.ErrnoException }[] = [];
    for (const w of pending) {
      try {
        writeFileSync(w.path, w.value);
      } catch (error) {
        failed.push({ write: w, error: error as NodeJS.ErrnoException });
      }
    }
    if (failed.length > 0 && round === 1) {
      const { write, error } = failed[0]!;
      const why = error.code === 'EBUSY' ? 'the box uses more than that now' : error.code === 'EINVAL' ? 'the kernel refused the value with the other limits' : (error.code ?? error.message);
      throw new NsboxError(`cannot write ${write.value} to ${write.path}: ${why}`);
    }
    pending = failed.map((f) => f.write);
  }
}
