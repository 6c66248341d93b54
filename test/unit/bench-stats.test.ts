// Unit tests of the bench harness's pure parts: percentiles, ratio and unit formatting, run counts, round order,
// GNU time parsing, target lines and table rendering. No processes are started.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatMb, formatMs, formatRatio, maximum, median, percentile, readCount } from '../bench/stats.js';
import { orderForRound } from '../bench/schedule.js';
import { parseRssLine } from '../bench/measure.js';
import { evaluateTarget } from '../bench/targets.js';
import { alignColumns, renderCommands, renderTable } from '../bench/report.js';
import { selectSets, UsageError } from '../bench/select.js';
import { readOwnV1Cgroups } from '../bench/sets/own-cgroups.js';
import type { BenchSet, CandidateResult } from '../bench/types.js';

function result(name: string, wallMs: number[], rssKb: number[] = [], failure?: string): CandidateResult {
  return { name, argv: [name], wallMs, rssKb, failure };
}

test('median: middle value, mean of the two middles, order-independent', () => {
  assert.is(median([5]), 5);
  assert.is(median([3, 1, 2]), 2);
  assert.is(median([4, 1, 3, 2]), 2.5);
  assert.is(median([10, 10, 10, 1000]), 10);
  const input = [9, 1, 5];
  median(input);
  assert.equal(input, [9, 1, 5], 'does not sort the caller\'s array');
});

test('percentile: p90 interpolates between ranks; ends are min and max', () => {
  const ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  assert.is(percentile(ten, 0), 1);
  assert.is(percentile(ten, 100), 10);
  assert.ok(Math.abs(percentile(ten, 90) - 9.1) < 1e-9, `p90 of 1..10 is 9.1, got ${percentile(ten, 90)}`);
  assert.is(percentile([7, 7, 7], 90), 7);
  assert.is(percentile([100, 0], 90), 90);
  const thirty = Array.from({ length: 30 }, (_, i) => 30 - i); // 30..1, unsorted
  assert.ok(Math.abs(percentile(thirty, 90) - 27.1) < 1e-9);
  assert.throws(() => percentile([], 50), /no values/);
  assert.throws(() => percentile([1], 101), /out of range/);
  assert.throws(() => percentile([1], Number.NaN), /out of range/);
});

test('maximum of none is undefined', () => {
  assert.is(maximum([]), undefined);
  assert.is(maximum([3, 9, 2]), 9);
});

test('formatRatio: two decimals and an x; "-" without a usable reference', () => {
  assert.is(formatRatio(104, 104), '1.00x');
  assert.is(formatRatio(150, 100), '1.50x');
  assert.is(formatRatio(112.3, 4.9), '22.92x');
  assert.is(formatRatio(1, 3), '0.33x');
  assert.is(formatRatio(5, 0), '-');
  assert.is(formatRatio(5, undefined), '-');
  assert.is(formatRatio(undefined, 5), '-');
});

test('formatMs and formatMb: one decimal, MB from KiB', () => {
  assert.is(formatMs(112.345), '112.3');
  assert.is(formatMs(undefined), '-');
  assert.is(formatMb(49152), '48.0');
  assert.is(formatMb(40264), '39.3');
  assert.is(formatMb(undefined), '-');
});

test('readCount: default when unset, integer when set, error on garbage', () => {
  assert.is(readCount({}, 'BENCH_RUNS', 30), 30);
  assert.is(readCount({ BENCH_RUNS: '' }, 'BENCH_RUNS', 30), 30);
  assert.is(readCount({ BENCH_RUNS: '7' }, 'BENCH_RUNS', 30), 7);
  assert.is(readCount({ BENCH_WARMUP: '0' }, 'BENCH_WARMUP', 3, 0), 0);
  assert.throws(() => readCount({ BENCH_RUNS: '0' }, 'BENCH_RUNS', 30), /BENCH_RUNS must be an integer >= 1/);
  assert.throws(() => readCount({ BENCH_RUNS: '2.5' }, 'BENCH_RUNS', 30), /BENCH_RUNS/);
  assert.throws(() => readCount({ BENCH_RUNS: 'ten' }, 'BENCH_RUNS', 30), /BENCH_RUNS/);
});

test('orderForRound: every candidate once per round, the first one rotating', () => {
  assert.equal(orderForRound(3, 0), [0, 1, 2]);
  assert.equal(orderForRound(3, 1), [1, 2, 0]);
  assert.equal(orderForRound(3, 5), [2, 0, 1]);
  assert.equal(orderForRound(1, 4), [0]);
  for (let round = 0; round < 6; round++) assert.equal([...orderForRound(4, round)].sort(), [0, 1, 2, 3]);
});

test('parseRssLine: the last marked line of GNU time output', () => {
  assert.is(parseRssLine('nsbox-bench-rss 48864\n'), 48864);
  assert.is(parseRssLine('some error\nCommand exited with non-zero status 1\nnsbox-bench-rss 1448\n'), 1448);
  assert.is(parseRssLine('nsbox-bench-rss 1\nnsbox-bench-rss 2\n'), 2);
  assert.is(parseRssLine('48864\n'), undefined);
  assert.is(parseRssLine('nsbox-bench-rss ?\n'), undefined);
});

test('median-within target: ok, missed, and unchecked lines', () => {
  const target = { kind: 'median-within', subject: 'nsbox', reference: 'node -e 0', slackMs: 25 } as const;
  const ok = evaluateTarget(target, [result('nsbox', [110, 112.3, 130]), result('node -e 0', [104, 100, 108])]);
  assert.is(ok.line, 'target: nsbox median <= node -e 0 + 25 ms: 112.3 <= 104.0 + 25 -> ok');
  assert.is(ok.verdict, 'ok');
  const missed = evaluateTarget(target, [result('nsbox', [200]), result('node -e 0', [100])]);
  assert.is(missed.line, 'target: nsbox median <= node -e 0 + 25 ms: 200.0 <= 100.0 + 25 -> MISSED');
  assert.is(missed.verdict, 'missed');
  const edge = evaluateTarget(target, [result('nsbox', [125]), result('node -e 0', [100])]);
  assert.is(edge.verdict, 'ok', 'equal to the bound is within it');
  const failed = evaluateTarget(target, [result('nsbox', [], [], 'exit status 125'), result('node -e 0', [100])]);
  assert.is(failed.verdict, 'unchecked');
  assert.is(failed.line, 'target: nsbox median <= node -e 0 + 25 ms: not checked (nsbox failed)');
  assert.match(evaluateTarget(target, [result('nsbox', [1])]).line, /no candidate "node -e 0"/);
});

test('rss-below target: strict bound in MB from KiB samples', () => {
  const target = { kind: 'rss-below', subject: 'nsbox', limitMb: 60 } as const;
  const ok = evaluateTarget(target, [result('nsbox', [1], [40000, 49408, 45000])]);
  assert.is(ok.line, 'target: nsbox peak RSS < 60 MB: 48.3 < 60 -> ok');
  assert.is(evaluateTarget(target, [result('nsbox', [1], [60 * 1024])]).verdict, 'missed');
  assert.match(evaluateTarget(target, [result('nsbox', [1], [])]).line, /not checked \(nsbox not measured\)/);
});

test('renderTable: aligned columns, ratio to the reference, FAILED rows', () => {
  const lines = renderTable(
    [result('nsbox', [120, 110, 130], [49152]), result('unshare', [5, 4, 6], [2048]), result('node -e 0', [40, 40, 40], [40960]), result('bad', [], [], 'x')],
    'node -e 0',
  );
  assert.is(lines.length, 5);
  assert.match(lines[0]!, /^candidate\s+median ms\s+p90 ms\s+peak RSS MB\s+ratio$/);
  assert.equal(lines[1]!.split(/\s{2,}/), ['nsbox', '120.0', '128.0', '48.0', '3.00x']);
  assert.equal(lines[2]!.split(/\s{2,}/), ['unshare', '5.0', '5.8', '2.0', '0.13x']);
  assert.equal(lines[3]!.split(/\s{2,}/), ['node -e 0', '40.0', '40.0', '40.0', '1.00x']);
  assert.equal(lines[4]!.split(/\s{2,}/), ['bad', 'FAILED', '-', '-', '-']);
  const ends = lines.map((l) => l.length);
  assert.ok(ends.every((n) => n === ends[0]), 'right-aligned ratio column ends every line at the same place');
  const noReference = renderTable([result('a', [10])], 'missing');
  assert.match(noReference[1]!, /-$/);
});

test('renderCommands quotes words, shows env, and gives the failure reason', () => {
  const lines = renderCommands([
    { name: 'a', argv: ['sh', '-c', "echo 'hi' $x"], env: { K: 'v w' }, wallMs: [1], rssKb: [], failure: undefined },
    { name: 'b', argv: ['nsbox', 'run', '--', 'true'], wallMs: [], rssKb: [], failure: 'exit status 125' },
  ]);
  assert.equal(lines, [`  a: K='v w' sh -c 'echo '\\''hi'\\'' $x'`, '  b: nsbox run -- true', '    failed: exit status 125']);
});

test('alignColumns pads the first column left and the rest right', () => {
  assert.equal(alignColumns([['a', '1'], ['long', '100']]), ['a       1', 'long  100']);
});

test('selectSets: all by default, named ones in registry order, unknown names refused', () => {
  const make = (name: string): BenchSet => ({ name, title: name, reference: name, candidates: [], targets: [], available: () => undefined });
  const sets = [make('core'), make('cgroup'), make('image')];
  assert.equal(selectSets([], sets).map((s) => s.name), ['core', 'cgroup', 'image']);
  assert.equal(selectSets(['image', 'core'], sets).map((s) => s.name), ['core', 'image']);
  assert.throws(() => selectSets(['core', 'nope'], sets), (e: unknown) => e instanceof UsageError && /"nope"/.test((e as Error).message));
});

test('readOwnV1Cgroups maps each v1 controller to its path, splitting joined controllers', () => {
  const own = readOwnV1Cgroups('9:name=systemd:/\n4:memory:/process_api/abc\n2:cpu,cpuacct:/x\n0::/\n');
  assert.is(own.get('memory'), '/process_api/abc');
  assert.is(own.get('cpu'), '/x');
  assert.is(own.get('cpuacct'), '/x');
  assert.is(own.get('pids'), undefined);
});


test('median-ratio target: subject within factor x the reference, worded with the ratio', () => {
  const results = [result('script', [48, 50, 52]), result('runc', [40, 38, 42])];
  const ok = evaluateTarget({ kind: 'median-ratio', subject: 'script', reference: 'runc', factor: 1.3 }, results);
  assert.is(ok.verdict, 'ok');
  assert.match(ok.line, /50\.0 <= 52\.0 \(1\.25x\) -> ok$/);
  const missed = evaluateTarget({ kind: 'median-ratio', subject: 'script', reference: 'runc', factor: 1.2 }, results);
  assert.is(missed.verdict, 'missed');
  assert.is(evaluateTarget({ kind: 'median-ratio', subject: 'script', reference: 'gone', factor: 2 }, results).verdict, 'unchecked');
});

test('renderTable with a peer: +ms over the reference and the ratio to the peer', () => {
  const lines = renderTable([result('node', [30]), result('runc', [40]), result('nsbox', [70]), result('bad', [], [], 'x')], 'node', 'runc');
  assert.match(lines[0]!, /ratio\s+\+ms over node\s+vs runc$/);
  assert.equal(lines[3]!.split(/\s{2,}/), ['nsbox', '70.0', '70.0', '-', '2.33x', '+40.0', '1.75x']);
  assert.equal(lines[4]!.split(/\s{2,}/), ['bad', 'FAILED', '-', '-', '-', '-', '-']);
});

test.run();
