// Integration (root): --console-socket's perl-base programs for real. A pty is allocated in a devpts instance of
// a mount namespace the test made (as a container's, reached through /proc/<pid>/root), its master is sent over a
// unix socket and a python3 receiver checks the message byte for byte as conmon does (one sendmsg, the name
// NUL-terminated, one SCM_RIGHTS control message whose cmsg_len is CMSG_LEN(4)), then proves the fd is a working
// pty master: bytes written to it come out of the slave and the reverse, and the window size was set.

import * as assert from 'uvu/assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allocatePtyArgv, consoleSocketArgv, parsePtyNumber, sendFdArgv } from '../../src/oci/console-socket.js';
import { isRoot } from '../helpers/nsbox.js';
import { assertNoLeaks, snapshot } from '../helpers/leaks.js';
import { gatedTest } from '../helpers/suite.js';

const python = spawnSync('python3', ['-c', 'import socket; socket.CMSG_SPACE'], { encoding: 'utf8' }).status === 0;
const skipReason = !isRoot ? 'needs root (a devpts instance in a new mount namespace)' : !python ? 'needs python3 (the receiver)' : undefined;
const test = gatedTest(skipReason);
const base = mkdtempSync(join(tmpdir(), 'nsbox-console-'));

/**
 * The receiver, as conmon's: listen, accept one connection, one recvmsg, report what came; then, given the slave's
 * path on stdin, use the received fd as the master of that slave in both directions. Prints one JSON line per step.
 */
const RECEIVER = String.raw`
import array, fcntl, json, os, select, socket, struct, sys, termios, tty
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1)
print(json.dumps({'ready': True}), flush=True)
conn, _ = s.accept()
msg, anc, flags, _ = conn.recvmsg(4096, socket.CMSG_SPACE(4 * 4))
after = conn.recv(16)
fds = [array.array('i', d[:len(d) - len(d) % 4]).tolist() for l, t, d in anc]
master = fds[0][0] if len(fds) == 1 and len(fds[0]) == 1 else -1
ptn = struct.unpack('I', fcntl.ioctl(master, 0x80045430, b'\0' * 4))[0] if master >= 0 else -1
print(json.dumps({'payload': list(msg), 'cmsgs': [[l, t, len(d)] for l, t, d in anc], 'flags': flags, 'after': list(after), 'ptn': ptn,
                  'target': os.readlink('/proc/self/fd/%d' % master) if master >= 0 else ''}), flush=True)
slave_path = sys.stdin.readline().strip()
slave = os.open(slave_path, os.O_RDWR | os.O_NOCTTY)
tty.setraw(slave)
rows, cols = struct.unpack('HHHH', fcntl.ioctl(slave, termios.TIOCGWINSZ, b'\0' * 8))[:2]
def read_all(fd, n):
    got = b''
    while len(got) < n and select.select([fd], [], [], 5)[0]:
        got += os.read(fd, n - len(got))
    return got.decode()
os.write(master, b'to-slave')
down = read_all(slave, 8)
os.write(slave, b'to-master')
up = read_all(master, 9)
st = os.fstat(slave)
print(json.dumps({'down': down, 'up': up, 'rows': rows, 'cols': cols, 'major': os.major(st.st_rdev), 'minor': os.minor(st.st_rdev), 'dev': st.st_dev}), flush=True)
`;

interface Receiver {
  readonly child: ChildProcess;
  next(): Promise<any>;
}

/** The receiver listening on `socket` (relative to `cwd` when given: python binds a long path only from there). */
const receivers: ChildProcess[] = [];

function startReceiver(socket: string, cwd?: string): Receiver {
  const child = spawn('python3', ['-c', RECEIVER, socket], { stdio: ['pipe', 'pipe', 'pipe'], ...(cwd ? { cwd } : {}) });
  receivers.push(child);
  let buffer = '';
  let stderr = '';
  const waiting: ((line: string) => void)[] = [];
  const lines: string[] = [];
  child.stdout!.on('data', (d: Buffer) => {
    buffer += d.toString();
    let i;
    while ((i = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      const w = waiting.shift();
      if (w) w(line); else lines.push(line);
    }
  });
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  return {
    child,
    next: () => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`receiver said nothing in 10 s; stderr: ${stderr}`)), 10_000);
      const take = (line: string) => { clearTimeout(timer); resolve(JSON.parse(line)); };
      const line = lines.shift();
      if (line !== undefined) take(line); else waiting.push(take);
    }),
  };
}

/** A process in a new mount namespace with a devpts instance of its own at /dev/pts (as a container's). */
let holder: ChildProcess | undefined;
let ptmx = '';
let before: ReturnType<typeof snapshot>;

test.before(async () => {
  before = snapshot();
  holder = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', 'mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts /dev/pts && echo up && exec sleep 120'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    holder!.stdout!.once('data', () => resolve());
    holder!.once('exit', (code) => reject(new Error(`the devpts holder exited with ${code}`)));
  });
  ptmx = `/proc/${holder.pid}/root/dev/pts/ptmx`;
});

/** A failed check leaves its receiver waiting: end it, or the test file never exits. */
test.after.each(async () => {
  for (const child of receivers.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
  }
});

test.after(async () => {
  if (holder?.pid !== undefined && holder.exitCode === null) {
    process.kill(holder.pid, 'SIGKILL');
    await new Promise((r) => holder!.once('exit', r));
  }
  rmSync(base, { recursive: true, force: true });
  await assertNoLeaks(before, 'oci-console-socket');
});

/** Runs argv, returns [status, stdout, stderr]. */
function run(argv: readonly string[]): Promise<[number | null, string, string]> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('exit', (code) => resolve([code, out, err]));
  });
}

async function checkPair(receiver: Receiver, n: number, size: { rows: number; cols: number }): Promise<void> {
  const got = await receiver.next();
  // conmon's checks: one message, the name NUL-terminated, one SCM_RIGHTS cmsg carrying one int (cmsg_len 20).
  assert.equal(got.payload, [...Buffer.from('/dev/ptmx\0')]);
  assert.equal(got.cmsgs, [[1, 1, 4]], 'one SOL_SOCKET/SCM_RIGHTS message with one fd');
  assert.is(got.flags, 0, 'no MSG_CTRUNC or MSG_TRUNC');
  assert.equal(got.after, [], 'nothing after the one message: the sender closed');
  assert.is(got.ptn, n, 'the received fd is the master of the pty the program reported');
  assert.match(got.target, /ptmx$/);
  const slave = `/proc/${holder!.pid}/root/dev/pts/${n}`;
  receiver.child.stdin!.write(`${slave}\n`);
  const pair = await receiver.next();
  assert.equal([pair.down, pair.up], ['to-slave', 'to-master'], 'bytes pass both ways');
  assert.equal([pair.rows, pair.cols], [size.rows, size.cols]);
  assert.is(pair.major, 136, 'a pty slave (Unix98, major 136)');
  assert.is(pair.minor, n);
  // The pty belongs to the container's devpts instance, not the host's.
  assert.is(pair.dev, statSync(slave).dev);
  assert.is.not(pair.dev, statSync('/dev/pts/ptmx').dev, 'allocated in the container\'s devpts, not the host\'s');
}

test('consoleSocketArgv: a pty in the container\'s devpts, its master sent as conmon expects, a working pair', async () => {
  const socket = join(base, 'console.sock');
  const receiver = startReceiver(socket);
  assert.equal(await receiver.next(), { ready: true });
  const [status, out, err] = await run(consoleSocketArgv(ptmx, socket, { rows: 33, columns: 111 }));
  assert.is(status, 0, err);
  const n = parsePtyNumber(out);
  await checkPair(receiver, n, { rows: 33, cols: 111 });
  await new Promise((r) => receiver.child.once('exit', r));
  assert.is(receiver.child.exitCode, 0);
});

test('allocatePtyArgv + sendFdArgv: the master kept on fd 5 for the command, sent from there; a long socket path', async () => {
  const dir = join(base, 'x'.repeat(60), 'y'.repeat(60));
  mkdirSync(dir, { recursive: true });
  const socket = join(dir, 'pty.sock');
  assert.ok(socket.length > 107, 'longer than sun_path');
  const r2 = startReceiver('pty.sock', dir);
  assert.equal(await r2.next(), { ready: true });
  const [status, out, err] = await run(allocatePtyArgv(ptmx, 5, sendFdArgv(socket, 5)));
  assert.is(status, 0, err);
  await checkPair(r2, parsePtyNumber(out), { rows: 0, cols: 0 });
});

test('failures are one line and non-zero: no socket, a closed fd, a bad ptmx', async () => {
  const [s1, , e1] = await run(consoleSocketArgv(ptmx, join(base, 'missing.sock')));
  assert.is.not(s1, 0);
  assert.match(e1, /^nsbox-console: cannot connect to the console socket .*missing\.sock: No such file or directory\n$/);
  const [s2, , e2] = await run(sendFdArgv(join(base, 'missing.sock'), 9));
  assert.is.not(s2, 0);
  assert.match(e2, /^nsbox-console: fd 9 is not open: Bad file descriptor\n$/);
  const [s3, , e3] = await run(consoleSocketArgv(join(base, 'no-ptmx'), join(base, 'missing.sock')));
  assert.is.not(s3, 0);
  assert.match(e3, /^nsbox-console: cannot open .*no-ptmx: No such file or directory\n$/);
  assert.ok(existsSync(ptmx));
});

test.run();
