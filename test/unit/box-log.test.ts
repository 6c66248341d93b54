// Unit: a detached box's log, stdout and stderr apart (the log writer's records, the supervisor's fifos) and read back.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LogPrinter, parseRaw, parseStreams, printFrom, readWholeLog, tailChunks, type LogChunk } from '../../src/lifecycle/box-log.js';
import { parseTail } from '../../src/commands/logs.js';
import { buildRunPlan } from '../../src/plan/build-run-plan.js';
import { buildBoxDescription } from '../../src/spec/run-flags.js';
import { CLOCK_GETTIME, LOG_MAX_BYTES, logWriterPerl } from '../../src/plan/log-writer.js';
import { X86_64_SYSCALLS } from '../../src/seccomp/tables/x86_64.js';
import { AARCH64_SYSCALLS } from '../../src/seccomp/tables/aarch64.js';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import type { BoxPaths } from '../../src/state/paths.js';
import type { BoxRecord } from '../../src/state/record.js';
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

test('a detached box without a terminal writes its streams through fifos; with one, the raw log through one fifo', () => {
  const detach = { log: '/s/log', streamLog: '/s/streams.log', exitFile: '/s/exit' };
  const plain = buildRunPlan(buildBoxDescription({ pid: true }, ['true'], { interactive: false, hostEnv: {} }), 't', { detach });
  const launch = plain.steps.find((s) => s.kind === 'launch');
  assert.ok(launch && launch.kind === 'launch');
  assert.is(launch.detach?.log, '/s/streams.log');
  const supervisor = plain.scripts.find((s) => s.name === 'supervisor')!.text;
  assert.match(supervisor, /out=\/s\/stdout.fifo err=\/s\/stderr.fifo/);
  assert.match(supervisor, /"\$@" >"\$out" 2>"\$err" 4>&- &\nbox=\$!/, 'the box is the supervisor\'s first child');
  assert.match(supervisor, /\nwait "\$writer"[^\n]*\nexec >>\/s\/streams\.log 2>&1[^\n]*\necho "\$status" >&4/, 'its last lines are in before its status, its own words after them in the log the writer left');
  assert.match(supervisor, /\nwriter=\$!\nexec >\/dev\/null 2>&1 /, 'no fd of the supervisor keeps the first log allocated once the writer has rotated it');
  assert.match(supervisor, /"\$out" "\$err" "\$box" \/s\/streams\.log \d+ <\/dev\/null/, 'the writer opens only the two fifos the box opens (the log by path only to start a new one)');
  const tty = buildRunPlan(buildBoxDescription({ pid: true, tty: true }, ['true'], { interactive: false, hostEnv: {} }), 't', { detach: { ...detach, attachSocket: '/s/a.sock' } });
  const ttyLaunch = tty.steps.find((s) => s.kind === 'launch');
  assert.ok(ttyLaunch && ttyLaunch.kind === 'launch');
  assert.is(ttyLaunch.detach?.log, '/s/log');
  const ttySupervisor = tty.scripts.find((s) => s.name === 'supervisor')!.text;
  assert.match(ttySupervisor, /\nout=\/s\/stdout\.fifo\n/, 'one fifo: a terminal is one stream');
  assert.match(ttySupervisor, /"\$@" >"\$out" 2>&1 4>&- &\nbox=\$!/, 'the relay (the box\'s first child) writes into it, its complaints too');
  assert.match(ttySupervisor, /"\$out" '' "\$box" \/s\/log \d+ <\/dev\/null/, 'the writer copies it raw into the log, which it rotates');
  assert.match(ttySupervisor, /\nwriter=\$!\nexec >\/dev\/null 2>&1 [^]*\nwait "\$writer"[^\n]*\nexec >>\/s\/log 2>&1[^\n]*\necho "\$status" >&4/);
  const fifos = tty.steps.find((s) => s.kind === 'exec' && s.argv[0] === 'mkfifo');
  assert.ok(fifos && fifos.kind === 'exec');
  assert.equal(fifos.argv, ['mkfifo', '-m', '0600', '--', '/s/stdout.fifo']);
});

test('the writer\'s clock_gettime numbers are the kernel\'s', () => {
  assert.is(CLOCK_GETTIME.x64, X86_64_SYSCALLS.clock_gettime);
  assert.is(CLOCK_GETTIME.arm64, AARCH64_SYSCALLS.clock_gettime);
  assert.match(logWriterPerl('riscv64'), /sub now \{ \(time, 0\) \}/, 'no number: whole seconds');
});

/** The real writer on the two fifos (perl-base is on every Debian), held open by `box`; `boxProcess` stands for the box. */
function startWriter(program: string, max?: number) {
  const dir = mkdtempSync(join(tmpdir(), 'nsbox-logw-0123456789ab-'));
  const [out, err] = ['stdout.fifo', 'stderr.fifo'].map((n) => join(dir, n)) as [string, string];
  assert.is(spawnSync('mkfifo', [out, err]).status, 0);
  const boxProcess = spawn('sleep', ['1000'], { stdio: 'ignore' });
  const log = openSync(join(dir, 'streams.log'), 'a');
  const rotation = max === undefined ? [] : [join(dir, 'streams.log'), String(max)];
  const writer = spawn('perl', ['-e', program, out, err, String(boxProcess.pid), ...rotation], { stdio: ['ignore', log, 'pipe'] });
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

test('the writer keeps at most two logs of MAX bytes (and a batch): the newest output, read back whole by logs', async () => {
  const w = startWriter(logWriterPerl(), 4096);
  try {
    for (let i = 0; i < 400; i++) {
      writeSync(w.box[0], `line ${i} ${'x'.repeat(80)}\n`);
      if (i % 50 === 0) await sleep(20);
    }
    closeSync(w.box[0]);
    closeSync(w.box[1]);
    assert.is(await w.ended, 0, w.stderr());
    const sizes = ['streams.log', 'streams.log.1'].map((n) => statSync(join(w.dir, n)).size);
    assert.ok(sizes.every((n) => n < 4096 + 65536 * 2), `each log near MAX: ${sizes.join(', ')}`);
    assert.not.ok(existsSync(join(w.dir, 'streams.log.2')), 'two files at most');
    const paths = { log: join(w.dir, 'log'), streams: join(w.dir, 'streams.log') } as BoxPaths;
    const record = { launch: { kind: 'host', spec: { process: { tty: false } } } } as unknown as BoxRecord;
    const texts = readWholeLog(record, paths).chunks.map((c) => c.text.toString());
    assert.is(texts[texts.length - 1], `line 399 ${'x'.repeat(80)}`, 'the newest line is kept');
    const numbers = texts.map((t) => Number(t.split(' ')[1]));
    assert.equal(numbers, [...numbers].sort((a, b) => a - b), 'LOG.1 first, then LOG, in order');
    assert.ok(numbers.length < 400, 'the oldest lines are gone');
  } finally {
    w.boxProcess.kill('SIGKILL');
    rmSync(w.dir, { recursive: true, force: true });
  }
});

test('following a log that was rotated: the rest of LOG.1, then the new LOG from its start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nsbox-logf-'));
  const record = (n: number) => `2026-12-02T00:00:00.000000000Z stdout F r${n}\n`;
  try {
    const path = join(dir, 'streams.log');
    const log = { path, format: 'streams' } as const;
    writeFileSync(path, record(1));
    const printed: string[] = [];
    const printer = new (class extends LogPrinter {
      override write(c: LogChunk): void {
        printed.push(c.text.toString());
      }
    })(false);
    let at = printFrom(log, 0, printer);
    appendFileSync(path, record(2));
    renameSync(path, `${path}.1`);
    writeFileSync(path, record(3) + record(4)); // longer than what was read: only its inode tells
    at = printFrom(log, at, printer);
    assert.equal(printed, ['r1', 'r2', 'r3', 'r4']);
    assert.is(at, record(3).length * 2);
    renameSync(path, `${path}.1`);
    writeFileSync(path, record(5));
    at = printFrom(log, at, new (class extends LogPrinter {
      override write(c: LogChunk): void {
        printed.push(c.text.toString());
      }
    })(false));
    assert.equal(printed.slice(4), ['r5'], 'a new printer: a shorter LOG is a new one');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a box\'s log is rotated at 10 MiB', () => {
  assert.is(LOG_MAX_BYTES, 10 * 1024 * 1024);
});


test('a terminal\'s log (-dt, STDERR_FIFO \'\'): the writer copies its one fifo as it is and rotates it the same way', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nsbox-logw-0123456789ab-'));
  const out = join(dir, 'stdout.fifo');
  const logPath = join(dir, 'log');
  assert.is(spawnSync('mkfifo', [out]).status, 0);
  const boxProcess = spawn('sleep', ['1000'], { stdio: 'ignore' });
  try {
    const log = openSync(logPath, 'a');
    const writer = spawn('perl', ['-e', logWriterPerl(), out, '', String(boxProcess.pid), logPath, '64'], { stdio: ['ignore', log, log] });
    closeSync(log);
    const ended = new Promise<number | null>((resolve) => writer.on('exit', (code) => resolve(code)));
    const box = openSync(out, 'w');
    const pieces = ['a'.repeat(40) + '\r\n', 'prompt> ', 'b'.repeat(40) + '\r\n', 'c'.repeat(30)];
    for (const piece of pieces) {
      writeSync(box, piece);
      await sleep(30);
    }
    closeSync(box);
    assert.is(await ended, 0);
    const [older, newer] = [readFileSync(`${logPath}.1`, 'latin1'), readFileSync(logPath, 'latin1')];
    assert.ok(older.length >= 64 && newer.length < 64 + 42, `rotated at the cap: ${older.length}, ${newer.length}`);
    assert.ok(pieces.join('').endsWith(older + newer), 'the bytes as they came, no records; the newest kept');
    assert.not.ok(existsSync(out), 'its fifo removed once open');
  } finally {
    boxProcess.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
test.run();
