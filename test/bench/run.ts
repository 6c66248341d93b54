// `npm run bench [-- SET...]`: runs the selected benchmark sets (default: every set this host can run) and prints
// each one's table and target lines. A missed target is reported, not fatal: exit 0 unless the harness broke.

import { cpus, loadavg, release } from 'node:os';
import { GNU_TIME } from './measure.js';
import { findTool } from './paths.js';
import { renderCommands, renderTable } from './report.js';
import { runSet, type ScheduleOptions } from './schedule.js';
import { readCount } from './stats.js';
import { evaluateTarget } from './targets.js';
import { selectSets, UsageError } from './select.js';
import { ALL_SETS } from './sets/index.js';
import type { TargetOutcome } from './types.js';

const USAGE = `usage: npm run bench [-- SET...]   sets: ${ALL_SETS.map((s) => s.name).join(', ')}
env: BENCH_RUNS (default 30), BENCH_WARMUP (default 3), BENCH_RSS_RUNS (default 5), BENCH_NSBOX_BASELINE (another build's bin/nsbox, beside this one in the startup set)`;

function main(args: readonly string[]): number {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const sets = selectSets(args, ALL_SETS);
  const haveTime = findTool(GNU_TIME) !== undefined;
  const options: ScheduleOptions = {
    runs: readCountOption('BENCH_RUNS', 30, 1),
    warmup: readCountOption('BENCH_WARMUP', 3, 0),
    rssRuns: haveTime ? readCountOption('BENCH_RSS_RUNS', 5, 0) : 0,
    progress: (line) => process.stderr.write(`bench: ${line}\n`),
  };
  console.log(
    `nsbox bench: ${options.runs} timed runs per candidate after ${options.warmup} warm-up round(s), interleaved round-robin; ` +
      `peak RSS = max of ${options.rssRuns} run(s) under ${GNU_TIME} -f %M`,
  );
  console.log(`host: node ${process.version}, linux ${release()}, ${cpus().length} CPU(s), load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  if (!haveTime) console.log(`note: ${GNU_TIME} missing (apt-get install time): peak RSS not measured`);

  const outcomes: TargetOutcome[] = [];
  let broken = 0;
  for (const set of sets) {
    console.log(`\n== ${set.name}: ${set.title}`);
    const skip = set.available();
    if (skip) {
      console.log(`skipped: ${skip}`);
      continue;
    }
    try {
      set.setup?.();
      const results = runSet(set, options);
      for (const line of renderTable(results, set.reference, set.peer)) console.log(line);
      for (const line of renderCommands(results)) console.log(line);
      for (const outcome of [...set.targets.map((t) => evaluateTarget(t, results)), ...(set.check?.() ?? [])]) {
        outcomes.push(outcome);
        console.log(outcome.line);
      }
      broken += results.filter((r) => r.failure).length;
    } finally {
      for (const warning of set.teardown?.() ?? []) {
        console.log(`warning: ${warning}`);
        broken++;
      }
    }
  }
  const count = (v: TargetOutcome['verdict']) => outcomes.filter((o) => o.verdict === v).length;
  console.log(`\ntargets: ${count('ok')} ok, ${count('missed')} missed, ${count('unchecked')} not checked${broken ? `; ${broken} harness problem(s) above` : ''}`);
  return broken ? 1 : 0;
}

/** A run count from the environment; a bad value is a usage error. */
function readCountOption(name: string, fallback: number, min: number): number {
  try {
    return readCount(process.env, name, fallback, min);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`bench: ${message}\n`);
  if (error instanceof UsageError) process.stderr.write(`${USAGE}\n`);
  process.exitCode = error instanceof UsageError ? 2 : 1;
}
