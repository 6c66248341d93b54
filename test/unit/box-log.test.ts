// Unit: a detached box's log, stdout and stderr apart (the log writer's records, the supervisor's fifos) and read back.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseRaw, parseStreams, tailChunks, type LogChunk } from '../../src/lifecycle/box-log.js';
import { parseTail } from '../../src/commands/logs.js';
import { buildRunPlan } from '../../src/plan/build-run-plan.js';
import { buildBoxDescription } from '../../src/spec/run-flags.js';

const text = (chunks: readonly LogChunk[]) => chunks.map((c) => `${c.stream}:${c.text.toString()}${c.ends ? '$' : ''}`);

test('records parse into streams, whole lines and parts; a record not yet complete waits', () => {
  const data = Buffer.from('T1 stdout F hello\nT2 stderr P Name? \nT3 stderr F bob\nT4 stdout F \nT5 stdout F a b  c\nT6 std');
  const { chunks, used } = parseStreams(data);
  assert.equal(text(chunks), ['stdout:hello$', 'stderr:Name? ', 'stderr:bob$', 'stdout:$', 'stdout:a b  c$']);
  assert.is(chunks[0]!.time, 'T1');
  assert.is(used, data.indexOf('T6'));
});

test('a line that is no record (the supervisor complaining) is stderr; bytes stay bytes', () => {
  const { chunks } = parseStreams(Buffer.concat([Buffer.from('sh: 1: cannot create x\nT stdout F '), Buffer.from([0xff, 0x00, 0x0d]), Buffer.from('\nT stdout X y\n')]));
  assert.equal(chunks.map((c) => c.stream), ['stderr', 'stdout', 'stderr']);
  assert.equal([...chunks[1]!.text], [0xff, 0x00, 0x0d]);
  assert.is(chunks[0]!.time, undefined);
});

test('a raw log (a terminal, an older box) is all stdout, its last line may be open', () => {
  assert.equal(text(parseRaw(Buffer.from('a\nb\nc'))), ['stdout:a$', 'stdout:b$', 'stdout:c']);
  assert.equal(parseRaw(Buffer.alloc(0)), []);
});

test('--tail N counts lines across both streams, a line in parts as one', () => {
  const { chunks } = parseStreams(Buffer.from('t stdout P ab\nt stderr F x\nt stdout F cd\nt stderr F y\nt stdout F z\n'));
  assert.equal(text(tailChunks(chunks, 1)), ['stdout:z$']);
  assert.equal(text(tailChunks(chunks, 2)), ['stderr:y$', 'stdout:z$']);
  assert.equal(text(tailChunks(chunks, 3)), ['stdout:ab', 'stdout:cd$', 'stderr:y$', 'stdout:z$']);
  assert.equal(text(tailChunks(chunks, 4)), text(chunks));
  assert.equal(tailChunks(chunks, 0), []);
  assert.equal(text(tailChunks(parseRaw(Buffer.from('a\nb\nprompt> ')), 1)), ['stdout:prompt> ']);
  assert.is(parseTail(undefined), undefined);
  assert.is(parseTail('all'), undefined);
  assert.is(parseTail('3'), 3);
  assert.throws(() => parseTail('-1'), /--tail/);
});

test('a detached box without a terminal writes its streams through fifos; with one, the raw log as before', () => {
  const detach = { log: '/s/log', streamLog: '/s/streams.log', exitFile: '/s/exit' };
  const plain = buildRunPlan(buildBoxDescription({ pid: true }, ['true'], { interactive: false, hostEnv: {} }), 't', { detach });
  const launch = plain.steps.find((s) => s.kind === 'launch');
  assert.ok(launch && launch.kind === 'launch');
  assert.is(launch.detach?.log, '/s/streams.log');
  const supervisor = plain.scripts.find((s) => s.name === 'supervisor')!.text;
  assert.match(supervisor, /out=\/s\/stdout.fifo err=\/s\/stderr.fifo/);
  assert.match(supervisor, /"\$@" >"\$out" 2>"\$err" 4>&- &\nbox=\$!/, 'the box is the supervisor\'s first child');
  assert.match(supervisor, /\nwait "\$writer"[^\n]*\necho "\$status" >&4/, 'its last lines are in before its status');
  const tty = buildRunPlan(buildBoxDescription({ pid: true, tty: true }, ['true'], { interactive: false, hostEnv: {} }), 't', { detach: { ...detach, attachSocket: '/s/a.sock' } });
  const ttyLaunch = tty.steps.find((s) => s.kind === 'launch');
  assert.ok(ttyLaunch && ttyLaunch.kind === 'launch');
  assert.is(ttyLaunch.detach?.log, '/s/log');
  assert.not.match(tty.scripts.find((s) => s.name === 'supervisor')!.text, /fifo/);
});

test.run();
