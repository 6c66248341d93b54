// `nsbox pause BOX...` and `nsbox unpause BOX...`, as Docker's: freeze every process of running boxes with the cgroup
// freezer, and thaw them (src/lifecycle/freeze-box.ts). A paused box is still running: ps says "Up ... (Paused)".

import type { Argv } from 'yargs';
import type { NsboxCommand } from './command.js';
import { eachBox } from './each-box.js';
import { NsboxError } from '../errors.js';
import { STATE_OPTION } from '../state/paths.js';
import { withLock } from '../state/lock.js';
import { saveRecord } from '../state/store.js';
import { openBox, openStateFromArgs, refreshBox } from '../lifecycle/open-box.js';
import { freezeBox, isFrozen, prepareFreezer, thawBox } from '../lifecycle/freeze-box.js';

interface PauseArgs {
  boxes: string[];
  state: string | undefined;
}

/** The command for `pause` (freeze) or `unpause` (thaw). */
export function freezerCommand(freeze: boolean): NsboxCommand<PauseArgs> {
  const verb = freeze ? 'pause' : 'unpause';
  return {
    usage: `${verb} <boxes..>`,
    describe: freeze ? 'freeze every process of running boxes (the cgroup freezer), as docker pause' : 'thaw paused boxes, as docker unpause',
    builder: (y: Argv) => y.positional('boxes', { type: 'string', array: true }).options(STATE_OPTION) as unknown as Argv<PauseArgs>,
    async handler(args) {
      const state = openStateFromArgs(args);
      return eachBox(args.boxes.map(String), async (ref) => {
        const box = openBox(state, ref);
        const label = box.record.name ?? box.record.id.slice(0, 12);
        await withLock(box.paths.lock, `box ${label}`, async () => {
          const { record, now } = refreshBox(box);
          if (now.status !== 'running') throw new NsboxError(`cannot ${verb} box ${label}: it is not running`);
          if (!freeze) {
            if (!(await thawBox(record))) throw new NsboxError(`cannot unpause box ${label}: it is not paused`);
            return;
          }
          if (isFrozen(record)) throw new NsboxError(`cannot pause box ${label}: it is paused already`);
          const prepared = prepareFreezer(record, label);
          saveRecord(state, prepared); // its freezer cgroup (and that cgroup's undo) before a process moves in
          await freezeBox(prepared, label);
        });
      });
    },
  };
}

export const command = freezerCommand(true);
