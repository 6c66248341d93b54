// `nsbox stats [--no-stream] [--format TEMPLATE] [BOX...]`: memory, CPU and process count of running boxes, from their
// cgroups; --format takes Docker's fields ({{.Name}} {{.CPUPerc}} {{.MemUsage}} ...), `table ...` and `json`.

import { setTimeout as sleep } from 'node:timers/promises';
import type { Argv } from 'yargs';
import type { NsboxCommand } from './command.js';
import { STATE_OPTION } from '../state/paths.js';
import { openBox, openStateFromArgs } from '../lifecycle/open-box.js';
import { listBoxes, type ListedBox } from '../lifecycle/list-boxes.js';
import { cpuPercent, sampleBox, type BoxSample } from '../lifecycle/box-stats.js';
import { formatBytes, renderTable } from '../lifecycle/format.js';
import { deriveState } from '../state/status.js';
import { formatRows } from '../format/template.js';

interface StatsArgs {
  boxes: string[] | undefined;
  stream: boolean;
  json: boolean;
  format: string | undefined;
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
      .option('format', { type: 'string', describe: 'Go template over Docker\'s fields: {{.Container}} {{.ID}} {{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.MemPerc}} {{.PIDs}}; "table ..." adds a header; "json"' })
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
      const table = args.format !== undefined
        ? formatRows(args.format, rows.map((r) => r.docker), STATS_HEADERS)
        : renderTable([['CONTAINER ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'PIDS'], ...rows.map((r) => r.cells)]);
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
  const memPerc = after.memoryLimitBytes ? `${((after.memoryBytes / after.memoryLimitBytes) * 100).toFixed(2)}%` : '--';
  const docker = { Container: box.record.id.slice(0, 12), ID: box.record.id, Name: box.record.name ?? '', CPUPerc: `${cpu.toFixed(2)}%`, MemUsage: `${formatBytes(after.memoryBytes)} / ${limit}`, MemPerc: memPerc, PIDs: String(after.pids) };
  return {
    docker,
    cells: [docker.Container, docker.Name, docker.CPUPerc, docker.MemUsage, memPerc, docker.PIDs],
    json: { id: box.record.id, name: box.record.name ?? null, cpuPercent: cpu, memoryBytes: after.memoryBytes, memoryLimitBytes: after.memoryLimitBytes ?? null, pids: after.pids },
  };
}

/** Docker's column titles for `stats --format 'table ...'`. */
const STATS_HEADERS: Readonly<Record<string, string>> = { Container: 'CONTAINER', ID: 'CONTAINER ID', Name: 'NAME', CPUPerc: 'CPU %', MemUsage: 'MEM USAGE / LIMIT', MemPerc: 'MEM %', PIDs: 'PIDS' };
