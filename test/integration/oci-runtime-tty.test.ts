// Integration (root): nsbox-runtime's own terminal relay, as CRI-O uses it: `exec --process F --tty ID` in the
// foreground, with a real pty as nsbox-runtime's stdio and no --console-socket. Inside, the process has a terminal of
// the container's own devpts as its controlling terminal, sized like the caller's and resized with it; typed input
// reaches it; its exit code is nsbox-runtime's. A hang-up of the caller's terminal ends the exec and every process of
// its session, even one that ignores SIGHUP; no relay is left. Without a terminal, nsbox-runtime's signals reach the exec.
// `run` of a process.terminal without --console-socket: the same relay, fed the master the init sends (runc's own
// terminal), checked from the host on the init's /proc/PID/fd, stat and root; a hang-up ends even a stubborn PID 1.

import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { isRoot } from '../helpers/nsbox.js';
import { gatedTest } from '../helpers/suite.js';
import { snapshot, assertNoLeaks, type Snapshot } from '../helpers/leaks.js';
import { RUNTIME, buildBusyboxTar, has, runtimeWithFiles } from '../helpers/oci-clients.js';
import { spawnOnPty } from '../helpers/pty.js';

const skipReason = !isRoot ? 'needs root' : !existsSync('/bin/busybox') ? 'needs /bin/busybox (busybox-static)' : !has('python3') ? 'needs python3 (the pty driver)' : undefined;
const test = gatedTest(skipReason);
const base = mkdtempSync(join(tmpdir(), 'nsbox-oci-tty-'));
const root = join(base, 'state');
const parent = `nsbox-rt-tty-${process.pid}`;
let before: Snapshot;
let initPid = 0;
/** The container's id: this run's own, so the relay's title (nsbox-tty ID) names no other run's relay. */
const ID = `t${process.pid}`;
const sessions: ReturnType<typeof spawnOnPty>[] = [];
/** A session's exit, or a failure after `ms` (a hung exec fails the test instead of hanging the file). */
const exitOf = (session: ReturnType<typeof spawnOnPty>, ms = 20_000) => Promise.race([session.exited, sleep(ms).then(() => { throw new Error(`nsbox-runtime exec did not end within ${ms} ms; the terminal shows: ${JSON.stringify(session.output().slice(-500))}`); })]);

/** nsbox-runtime with its output in files: a created container keeps the stdio it was given (pipes would stay open). */
const rt = runtimeWithFiles(base, root);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const alive = (pid: number) => existsSync(`/proc/${pid}/stat`) && !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
/** The pid nsbox-runtime writes once the exec runs (its output may come first). */
async function execPid(file: string): Promise<number> {
  for (let i = 0; i < 100 && !existsSync(file); i++) await sleep(20);
  return Number(readFileSync(file, 'utf8'));
}
const cmdline = (pid: number | string) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return ''; // gone meanwhile
  }
};
/** Host pids of processes whose command line starts with `word`. */
const processesNamed = (word: string) => readdirSync('/proc').filter((p) => /^\d+$/.test(p) && cmdline(p).startsWith(word));

test.before(() => {
  before = snapshot();
  buildBusyboxTar(base);
  const bundle = join(base, 'b');
  mkdirSync(bundle);
  writeFileSync(join(bundle, 'config.json'), JSON.stringify({
    ociVersion: '1.0.2',
    process: { args: ['sleep', '1000'], env: ['PATH=/bin', 'TERM=xterm'], cwd: '/', user: { uid: 0, gid: 0 }, capabilities: { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'] }, noNewPrivileges: true },
    root: { path: join(base, 'bb-rootfs') },
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    ],
    linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'ipc' }], cgroupsPath: `${parent}/c1` },
  }));
  const created = rt('create', '--bundle', bundle, '--pid-file', join(base, 'init.pid'), ID);
  assert.equal(created.code, 0, created.stderr);
  initPid = Number(readFileSync(join(base, 'init.pid'), 'utf8'));
  assert.equal(rt('start', ID).code, 0);
});

test.after(async () => {
  for (const session of sessions) session.child.kill('SIGKILL');
  if (existsSync(join(root, ID))) rt('delete', '--force', ID);
  rmSync(base, { recursive: true, force: true });
  if (before) await assertNoLeaks(before, 'oci-runtime-tty');
});

test('exec --process F --tty in the foreground: a controlling terminal of the container\'s devpts, sized and resized like the caller\'s, input relayed, the exit code passed on', async () => {
  const processFile = join(base, 'process.json');
  const script = 'tty; stty size; echo "sid $(cut -d" " -f6 /proc/self/stat) pid $$"; echo READY; read -r line; stty size; echo "got $line"; exit 9';
  writeFileSync(processFile, JSON.stringify({ terminal: true, args: ['sh', '-c', script], env: ['PATH=/bin'], cwd: '/tmp', user: { uid: 0, gid: 0 }, capabilities: { bounding: ['CAP_KILL'] } }));
  const pidFile = join(base, 'exec.pid');
  const session = spawnOnPty([RUNTIME, '--root', root, 'exec', '--process', processFile, '--tty', '--pid-file', pidFile, ID], { rows: 30, cols: 100 });
  sessions.push(session);
  await session.ready;
  const screen = await session.waitFor('READY');
  assert.match(screen.replace(/\r/g, ''), /^\/dev\/pts\/\d+\n30 100\nsid (\d+) pid \1\n/, 'a terminal, the caller\'s size, the process leads its session');
  // From the host: the process's stdio is a pty of the container's own devpts instance, and its controlling terminal.
  const pid = await execPid(pidFile);
  assert.ok(alive(pid), 'the pid file names the running exec');
  const stdin = statSync(`/proc/${pid}/fd/0`);
  assert.equal(stdin.dev, statSync(`/proc/${initPid}/root/dev/pts/ptmx`).dev, 'the pty is of the container\'s devpts');
  assert.not.equal(stdin.dev, statSync('/dev/pts/ptmx').dev, 'not of the host\'s');
  const ttyNr = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[4]);
  assert.equal(ttyNr, stdin.rdev, 'it is the controlling terminal (tty_nr)');
  session.resize(40, 132);
  await sleep(200);
  session.type('hello\r');
  const end = await session.waitFor('got hello', 10_000);
  assert.match(end.replace(/\r/g, ''), /READY\n(hello\n)?40 132\ngot hello\n/, 'SIGWINCH resized the container\'s pty; the typed line arrived');
  const exited = await exitOf(session);
  assert.equal(exited.code, 9, 'the exec\'s exit code is nsbox-runtime\'s');
  assert.equal(processesNamed(`nsbox-tty ${ID}`), [], 'no relay is left');
  assert.equal(JSON.parse(rt('ps', '--format', 'json', ID).stdout), [initPid], 'only the init is left in the container');
});

test('exec -t ID CMD: a hang-up of the caller\'s terminal ends the exec and its session, SIGHUP ignored or not; nothing is left', async () => {
  const pidFile = join(base, 'exec2.pid');
  const session = spawnOnPty([RUNTIME, '--root', root, 'exec', '-t', '--pid-file', pidFile, ID, 'sh', '-c', 'trap "" HUP; sleep 1000 & echo READY; wait'], { rows: 24, cols: 80 });
  sessions.push(session);
  const { pid: runtimePid } = await session.ready;
  await session.waitFor('READY');
  const pid = await execPid(pidFile);
  assert.ok(alive(pid), 'the exec runs');
  assert.equal(JSON.parse(rt('ps', '--format', 'json', ID).stdout).length, 4, 'the init, the shell that waits (host pid namespace), sh and its sleep');
  // The driver holds the pty's master: killing it is the terminal window closing.
  session.child.kill('SIGKILL');
  for (let i = 0; i < 400 && (alive(runtimePid) || alive(pid)); i++) await sleep(50);
  assert.ok(!alive(runtimePid), 'nsbox-runtime ended after the hang-up');
  assert.ok(!alive(pid), 'so did the exec');
  for (let i = 0; i < 40 && JSON.parse(rt('ps', '--format', 'json', ID).stdout).length > 1; i++) await sleep(50);
  assert.equal(JSON.parse(rt('ps', '--format', 'json', ID).stdout), [initPid], 'its session (the sleep ignoring SIGHUP) is gone; the init stays');
  assert.equal(processesNamed(`nsbox-tty ${ID}`), [], 'no relay is left');
});

test('a foreground exec without a terminal gets the signals nsbox-runtime gets (SIGTERM here), and its exit code is nsbox-runtime\'s', async () => {
  const child = spawn(RUNTIME, ['--root', root, 'exec', ID, 'sh', '-c', 'trap "echo got TERM; exit 4" TERM; echo READY; sleep 100 & wait'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  for (let i = 0; i < 200 && !out.includes('READY'); i++) await sleep(25);
  assert.ok(out.includes('READY'), `the exec runs: ${out}`);
  child.kill('SIGTERM');
  const code = await Promise.race([exited, sleep(10_000).then(() => 'timeout')]);
  assert.equal(code, 4, `the trap ran and its status came back: ${out}`);
  assert.match(out, /got TERM/);
  for (let i = 0; i < 40 && JSON.parse(rt('ps', '--format', 'json', ID).stdout).length > 2; i++) await sleep(50);
  // The trap's shell is gone; its background sleep is a child the exec left, as with runc (only the init's is reaped).
  assert.ok(!JSON.parse(rt('ps', '--format', 'json', ID).stdout).some((pid: number) => /trap/.test(cmdline(pid))), 'the exec\'s shell ended');
});

/** A bundle whose process has process.terminal, in its own directory below base. */
function terminalBundle(name: string, args: readonly string[]): string {
  const dir = join(base, name);
  mkdirSync(dir);
  const config = JSON.parse(readFileSync(join(base, 'b', 'config.json'), 'utf8'));
  config.process = { ...config.process, terminal: true, args };
  config.linux.cgroupsPath = `${parent}/${name}`;
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}
/** The relays' sockets live in fresh nsbox-tty-* directories of the temp dir; none may be left. */
const socketDirs = () => readdirSync(tmpdir()).filter((n) => n.startsWith('nsbox-tty-')).sort();

test('run with process.terminal and no --console-socket (runc\'s own terminal): the init\'s controlling terminal is a pty of the container\'s devpts, sized and resized like the caller\'s, /dev/console; input relayed, exit code passed on, nothing left', async () => {
  const dirsBefore = socketDirs();
  const script = 'tty; stty size; echo "sid $(cut -d" " -f6 /proc/self/stat) pid $$"; echo READY; read -r line; stty size; echo "got $line"; exit 7';
  const b = terminalBundle('run-tty', ['sh', '-c', script]);
  const pidFile = join(base, 'run-tty.pid');
  const session = spawnOnPty([RUNTIME, '--root', root, 'run', '--bundle', b, '--pid-file', pidFile, 'run-tty'], { rows: 33, cols: 101 });
  sessions.push(session);
  await session.ready;
  const screen = await session.waitFor('READY');
  assert.match(screen.replace(/\r/g, ''), /^\/dev\/pts\/0\n33 101\nsid 1 pid 1\n/, 'a terminal (the first of its own devpts), the caller\'s size, PID 1 leads its session');
  // From the host: the init's stdio is the pty of the container's devpts, its controlling terminal, and /dev/console.
  const pid = Number(readFileSync(pidFile, 'utf8'));
  assert.ok(alive(pid), 'the pid file names the running init');
  const stdin = statSync(`/proc/${pid}/fd/0`);
  assert.equal(stdin.dev, statSync(`/proc/${pid}/root/dev/pts/ptmx`).dev, 'the pty is of the container\'s devpts');
  assert.not.equal(stdin.dev, statSync('/dev/pts/ptmx').dev, 'not of the host\'s');
  for (const fd of [1, 2]) assert.equal(statSync(`/proc/${pid}/fd/${fd}`).rdev, stdin.rdev, `fd ${fd} is the same pty`);
  const ttyNr = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[4]);
  assert.equal(ttyNr, stdin.rdev, 'it is the controlling terminal (tty_nr)');
  assert.equal(statSync(`/proc/${pid}/root/dev/console`).rdev, stdin.rdev, '/dev/console is that pty');
  const relays = processesNamed(`nsbox-tty run-tty`);
  assert.equal(relays.length, 1, 'one relay holds the caller\'s terminal');
  const extra = readdirSync(`/proc/${relays[0]}/fd`).filter((fd) => !['0', '1', '2'].includes(fd));
  assert.equal(extra.length, 1, `the relay has the caller's stdio and the master only: ${extra}`);
  const master = statSync(`/proc/${relays[0]}/fd/${extra[0]}`);
  const ptmx = statSync(`/proc/${pid}/root/dev/pts/ptmx`);
  assert.equal([master.dev, master.rdev], [ptmx.dev, ptmx.rdev], 'that fd is the container\'s ptmx (the master)');
  assert.equal(socketDirs(), dirsBefore, 'the relay\'s socket is gone once the master arrived');
  session.resize(41, 133);
  await sleep(200);
  session.type('hello\r');
  const end = await session.waitFor('got hello', 10_000);
  assert.match(end.replace(/\r/g, ''), /READY\n(hello\n)?41 133\ngot hello\n/, 'SIGWINCH resized the container\'s pty; the typed line arrived');
  const exited = await exitOf(session);
  assert.equal(exited.code, 7, 'the process\'s exit code is nsbox-runtime\'s');
  assert.equal(processesNamed('nsbox-tty run-tty'), [], 'no relay is left');
  assert.not.ok(existsSync(join(root, 'run-tty')), 'run deleted the container');
});

test('run with a terminal: a hang-up of the caller\'s terminal ends the container even when its PID 1 ignores SIGHUP; nothing is left', async () => {
  const b = terminalBundle('run-hup', ['sh', '-c', 'trap "" HUP; echo READY; while :; do sleep 1; done']);
  const pidFile = join(base, 'run-hup.pid');
  const session = spawnOnPty([RUNTIME, '--root', root, 'run', '--bundle', b, '--pid-file', pidFile, 'run-hup'], { rows: 24, cols: 80 });
  sessions.push(session);
  const { pid: runtimePid } = await session.ready;
  await session.waitFor('READY');
  const pid = Number(readFileSync(pidFile, 'utf8'));
  assert.ok(alive(pid), 'the init runs');
  assert.match(readFileSync(`/proc/${pid}/status`, 'utf8'), /^SigIgn:\s*[0-9a-f]*[13579bdf]$/m, 'it ignores SIGHUP (bit 1)');
  // The driver holds the pty's master: killing it is the terminal window closing.
  session.child.kill('SIGKILL');
  for (let i = 0; i < 400 && (alive(runtimePid) || alive(pid)); i++) await sleep(50);
  assert.ok(!alive(pid), 'the container\'s init ended after the hang-up');
  assert.ok(!alive(runtimePid), 'so did nsbox-runtime');
  assert.equal(processesNamed('nsbox-tty run-hup'), [], 'no relay is left');
  assert.not.ok(existsSync(join(root, 'run-hup')), 'run deleted the container');
});

test('run without a terminal passes nsbox-runtime\'s signals on to the init (SIGTERM here), as runc run; its exit code is nsbox-runtime\'s', async () => {
  const b = join(base, 'run-sig');
  mkdirSync(b);
  const config = JSON.parse(readFileSync(join(base, 'b', 'config.json'), 'utf8'));
  config.process.args = ['sh', '-c', 'trap "echo got TERM; exit 4" TERM; echo READY; sleep 100 & wait'];
  config.linux.cgroupsPath = `${parent}/run-sig`;
  writeFileSync(join(b, 'config.json'), JSON.stringify(config));
  const child = spawn(RUNTIME, ['--root', root, 'run', '--bundle', b, 'run-sig'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  for (let i = 0; i < 200 && !out.includes('READY'); i++) await sleep(25);
  assert.ok(out.includes('READY'), `the container runs: ${out}`);
  child.kill('SIGTERM');
  const code = await Promise.race([exited, sleep(10_000).then(() => 'timeout')]);
  assert.equal(code, 4, `the init's trap ran and its status came back: ${out}`);
  assert.match(out, /got TERM/);
  assert.not.ok(existsSync(join(root, 'run-sig')), 'run deleted the container');
});

test('run with a terminal whose create fails (no such command): the error, and no relay, socket or state left', async () => {
  const dirsBefore = socketDirs();
  const b = terminalBundle('run-missing', ['no-such-command']);
  const session = spawnOnPty([RUNTIME, '--root', root, 'run', '--bundle', b, 'run-missing'], { rows: 24, cols: 80 });
  sessions.push(session);
  await session.ready;
  const exited = await exitOf(session);
  assert.not.equal(exited.code, 0);
  assert.match(session.output(), /executable file not found/);
  assert.equal(processesNamed('nsbox-tty run-missing'), [], 'no relay is left');
  assert.equal(socketDirs(), dirsBefore, 'no socket directory is left');
  assert.not.ok(existsSync(join(root, 'run-missing')), 'no state left');
});

test('a terminal without --console-socket that nobody would hold is refused as runc does: create, run -d; nothing made', () => {
  const b = terminalBundle('detached-tty', ['true']);
  for (const args of [['create', '--bundle', b, 'detached-tty'], ['run', '-d', '--bundle', b, 'detached-tty']]) {
    const r = rt(...args);
    assert.equal(r.code, 1, `${args[0]}: ${r.stderr}`);
    assert.equal(r.stderr, 'nsbox-runtime: cannot allocate tty if runc will detach without setting console socket\n');
    assert.not.ok(existsSync(join(root, 'detached-tty')), 'no state left');
  }
});

test('a terminal that nobody would hold is refused: exec -t --detach without --console-socket', () => {
  const r = rt('exec', '-t', '-d', ID, 'true');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^nsbox-runtime: cannot exec with a terminal detached without --console-socket\n$/);
});

test.run();
