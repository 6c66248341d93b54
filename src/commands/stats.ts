// `nsbox stats [--no-stream] [BOX...]`: memory, CPU and process count of running boxes, from their cgroups.

import { setTimeout as sleep } from 'node:timers/promises';
import type { Argv } from 'yargs';
import type { NsboxCommand } from './command.js';
import { STATE_OPTION } from '../state/paths.js';
import { openBox, openStateFromArgs } from '../lifecycle/open-box.js';
import { listBoxes, type ListedBox } from '../lifecycle/list-boxes.js';
import { cpuPercent, sampleBox, type BoxSample } from '../lifecycle/box-stats.js';
import { formatBytes, renderTable } from '../lifecycle/format.js';
import { deriveState } from '../state/status.js';

interface StatsArgs {
  boxes: string[] | undefined;
  stream: boolean;
  json: boolean;
  state: string | undefined;
}

export const command: NsboxCommand<StatsArgs> = {
  usage: 'stats [boxes..]',
  describe: 'show memory, CPU and process counts of running boxes',
  builder: (y: Argv) =>
    y
      .positional('boxes', { type: 'string', array: true })
      .option('stream', { type: 'boolean', default: true, describe: 'refresh every second (--no-stream: print once)' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON once' })
      .options(STATE_OPTION) as unknown as Argv<StatsArgs>,
  async handler(args) {
    const state = openStateFromArgs(args);
    const pick = (): ListedBox[] =>
      args.boxes && args.boxes.length > 0
        ? args.boxes.map(String).map((ref) => {
            const box = openBox(state, ref);
            return { ...box, now: deriveState(box.record, box.paths) };
          })
        : listBoxes(state).filter((b) => b.now.status === 'running');
    let boxes = pick();
    let before = new Map(boxes.map((b) => [b.record.id, sampleBox(b.record)] as const));
    for (;;) {
      await sleep(args.stream && !args.json ? 1000 : 500);
      const after = new Map(boxes.map((b) => [b.record.id, sampleBox(b.record)] as const));
      const rows = boxes.map((b) => describeRow(b, before.get(b.record.id)!, after.get(b.record.id)!));
      if (args.json) {
        process.stdout.write(`${JSON.stringify(rows.map((r) => r.json), null, 2)}\n`);
        return 0;
      }
      const table = renderTable([['BOX ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'PIDS'], ...rows.map((r) => r.cells)]);
      if (!args.stream) {
        process.stdout.write(table);
        return 0;
      }
      process.stdout.write(`\x1b[2J\x1b[H${table}`);
      boxes = args.boxes && args.boxes.length > 0 ? boxes : pick();
      before = after;
    }
  },
};

function describeRow(box: ListedBox, before: BoxSample, after: BoxSample) {
  const cpu = cpuPercent(before, after);
  const limit = after.memoryLimitBytes === undefined ? 'unlimited' : formatBytes(after.memoryLimitBytes);
  return {
    cells: [box.record.id.slice(0, 12), box.record.name ?? '', `${cpu.toFixed(2)}%`, `${formatBytes(after.memoryBytes)} / ${limit}`, String(after.pids)],
    json: { id: box.record.id, name: box.record.name ?? null, cpuPercent: cpu, memoryBytes: after.memoryBytes, memoryLimitBytes: after.memoryLimitBytes ?? null, pids: after.pids },
  };
}
