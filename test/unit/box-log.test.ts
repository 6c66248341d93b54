// Unit: a detached box's log, stdout and stderr apart (the log writer's records, the supervisor's fifos) and read back.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseRaw, parseStreams, tailChunks, type LogChunk } from '../../src/lifecycle/box-log.js';
import { parseTail } from '../../src/commands/logs.js';
import { buildRunPlan } from '../../src/plan/build-run-plan.js';
import { buildBoxDescription } from '../../src/spec/run-flags.js';
import { CLOCK_GETTIME, logWriterPerl } from '../../src/plan/log-writer.js';
import { X86_64_SYSCALLS } from '../../src/seccomp/tables/x86_64.js';
import { AARCH64_SYSCALLS } from '../../src/seccomp/tables/aarch64.js';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
  assert.match(supervisor, /"\$out" "\$err" "\$box" <\/dev\/null/, 'the writer opens only the two fifos the box opens');
  const tty = buildRunPlan(buildBoxDescription({ pid: true, tty: true }, ['true'], { interactive: false, hostEnv: {} }), 't', { detach: { ...detach, attachSocket: '/s/a.sock' } });
  const ttyLaunch = tty.steps.find((s) => s.kind === 'launch');
  assert.ok(ttyLaunch && ttyLaunch.kind === 'launch');
  assert.is(ttyLaunch.detach?.log, '/s/log');
  assert.not.match(tty.scripts.find((s) => s.name === 'supervisor')!.text, /fifo/);
});

test('the writer\'s clock_gettime numbers are the kernel\'s', () => {
  assert.is(CLOCK_GETTIME.x64, X86_64_SYSCALLS.clock_gettime);
  assert.is(CLOCK_GETTIME.arm64, AARCH64_SYSCALLS.clock_gettime);
  assert.match(logWriterPerl('riscv64'), /sub now \{ \(time, 0\) \}/, 'no number: whole seconds');
});

/** The real writer on the two fifos (perl-base is on every Debian), held open by `box`; `boxProcess` stands for the box. */
function startWriter(program: string) {
  const dir = mkdtempSync(join(tmpdir(), 'nsbox-logw-0123456789ab-'));
  const [out, err] = ['stdout.fifo', 'stderr.fifo'].map((n) => join(dir, n)) as [string, string];
  assert.is(spawnSync('mkfifo', [out, err]).status, 0);
  const boxProcess = spawn('sleep', ['1000'], { stdio: 'ignore' });
  const log = openSync(join(dir, 'streams.log'), 'a');
  const writer = spawn('perl', ['-e', program, out, err, String(boxProcess.pid)], { stdio: ['ignore', log, 'pipe'] });
  closeSync(log);
  let stderr = '';
  writer.stderr!.on('data', (d) => (stderr += d));
  const box = [openSync(out, 'w'), openSync(err, 'w')] as const;
  const ended = new Promise<number | null>((resolve) => writer.on('exit', (code) => resolve(code)));
  return { dir, writer, boxProcess, box, ended, stderr: () => stderr, log: () => readFileSync(join(dir, 'streams.log'), 'utf8') };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('the writer: records in order, a part of a line shown at once, and no module loaded', async () => {
  const w = startWriter(`${logWriterPerl()}\nEND { print STDERR "modules: ", join(",", sort keys %INC), "\\n" }`);
  try {
    writeSync(w.box[0], 'hello\n');
    await sleep(50);
    writeSync(w.box[1], 'oops\nName? ');
    await sleep(50);
    writeSync(w.box[0], 'bye\n');
    await sleep(50);
    closeSync(w.box[0]);
    closeSync(w.box[1]);
    assert.is(await w.ended, 0, w.stderr());
    const lines = w.log().trimEnd().split('\n');
    assert.equal(lines.map((l) => l.replace(/^\S+ /, '')), ['stdout F hello', 'stderr F oops', 'stderr P Name? ', 'stdout F bye']);
    for (const l of lines) assert.match(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z /);
    if (CLOCK_GETTIME[process.arch] !== undefined) assert.ok(lines.some((l) => !/\.000000000Z/.test(l)), 'sub-second times');
    assert.match(w.stderr(), /^modules: \n$/m, 'no module: each costs memory in every box');
  } finally {
    w.boxProcess.kill('SIGKILL');
    rmSync(w.dir, { recursive: true, force: true });
  }
});

test('the writer ends once the box\'s process is gone even if a leftover holds its fifos, after what was left', async () => {
  const w = startWriter(logWriterPerl());
  try {
    writeSync(w.box[0], 'up\n');
    let done = false;
    void w.ended.then(() => (done = true));
    await sleep(500);
    assert.not.ok(done, 'still running while the box is');
    writeSync(w.box[1], 'last words\n');
    w.boxProcess.kill('SIGKILL'); // the box is gone; w.box stays open, as a leftover process would hold it
    assert.is(await w.ended, 0, w.stderr());
    assert.match(w.log(), / stdout F up\n.* stderr F last words\n$/s, 'what was left is copied first');
  } finally {
    closeSync(w.box[0]);
    closeSync(w.box[1]);
    w.boxProcess.kill('SIGKILL');
    rmSync(w.dir, { recursive: true, force: true });
  }
});

test.run();
