// Runs a command on a real pseudo-terminal, as a person at a terminal would: python3's pty support opens the pty,
// makes it the command's controlling terminal and keeps the master here, so a test can type (Ctrl-C too), read the
// screen, resize the window (the kernel then sends SIGWINCH) and check the pty from the host (its device numbers).

import { spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import type { Writable } from 'node:stream';

/** The driver: argv ROWS COLS CMD...; fd 3 takes "resize ROWS COLS" lines; stderr gets "pty NAME pid PID" first. */
const DRIVER = String.raw`
import fcntl, os, select, struct, sys, termios
rows, cols, cmd = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
master, slave = os.openpty()
size = lambda r, c: struct.pack('HHHH', r, c, 0, 0)
fcntl.ioctl(slave, termios.TIOCSWINSZ, size(rows, cols))
name = os.ttyname(slave)
pid = os.fork()
if pid == 0:
    os.setsid()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    for fd in (0, 1, 2):
        os.dup2(slave, fd)
    for fd in (slave, master, 3):
        os.close(fd)
    os.execvp(cmd[0], cmd)
os.close(slave)
sys.stderr.write('pty %s pid %d\n' % (name, pid)); sys.stderr.flush()
control, stdin_open, buf = 3, True, b''
while True:
    fds = [master, control] + ([0] if stdin_open else [])
    ready = select.select(fds, [], [], 0.2)[0]
    if master in ready:
        try:
            data = os.read(master, 65536)
        except OSError:
            data = b''
        if not data:
            break
        os.write(1, data)
    if 0 in ready:
        data = os.read(0, 65536)
        if data:
            os.write(master, data)
        else:
            stdin_open = False
    if control in ready:
        buf += os.read(control, 4096)
        while b'\n' in buf:
            line, buf = buf.split(b'\n', 1)
            words = line.split()
            if words[:1] == [b'resize']:
                fcntl.ioctl(master, termios.TIOCSWINSZ, size(int(words[1]), int(words[2])))
_, status = os.waitpid(pid, 0)
sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
`;

export interface PtySession {
  readonly child: ChildProcess;
  /** Everything the command wrote to the terminal so far (\r\n as the terminal sends it). */
  output(): string;
  /** Type: bytes go to the pty's master, as keys do ("\x03" is Ctrl-C, "\x1a" Ctrl-Z). */
  type(text: string): void;
  /** Resize the terminal window: the kernel sends SIGWINCH to the pty's foreground process group. */
  resize(rows: number, cols: number): void;
  /** Resolves with the output once `match` appears after `from` (an index into output()), or throws after timeoutMs. */
  waitFor(match: string | RegExp, timeoutMs?: number, from?: number): Promise<string>;
  /** The pty's name on the host (/dev/pts/N) and its device number, once the driver has said (see ready). */
  readonly ready: Promise<{ name: string; rdev: number; pid: number }>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Start `argv` on a fresh pty of `rows` x `cols`. */
export function spawnOnPty(argv: readonly string[], options: { rows?: number; cols?: number; env?: NodeJS.ProcessEnv } = {}): PtySession {
  const child = spawn('python3', ['-c', DRIVER, String(options.rows ?? 24), String(options.cols ?? 80), ...argv], {
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    env: options.env ?? process.env,
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const ready = new Promise<{ name: string; rdev: number; pid: number }>((resolve, reject) => {
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      const m = /^pty (\S+) pid (\d+)\n/.exec(err);
      if (m) resolve({ name: m[1]!, rdev: statSync(m[1]!).rdev, pid: Number(m[2]) });
    });
    child.on('exit', () => reject(new Error(`pty driver exited early: ${err}`)));
  });
  ready.catch(() => {});
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const control = child.stdio[3] as Writable;
  return {
    child,
    output: () => out,
    type: (text) => void (child.stdin as Writable).write(text),
    resize: (rows, cols) => void control.write(`resize ${rows} ${cols}\n`),
    async waitFor(match, timeoutMs = 10_000, from = 0) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const seen = out.slice(from);
        if (typeof match === 'string' ? seen.includes(match) : match.test(seen)) return out;
        if (Date.now() > deadline) throw new Error(`no ${String(match)} on the terminal within ${timeoutMs} ms; it shows:\n${JSON.stringify(out.slice(-2000))}\n(stderr: ${err})`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    ready,
    exited,
  };
}

let lineCounter = 0;
/**
 * Types a shell line into `s` (a shell on the pty) that ends by echoing a marker only its execution prints
 * ("=<tag><n>=", built with $((n*1)) so the echoed keys never match); resolves with what the line printed before it.
 */
export async function typeLine(s: PtySession, line: string, tag = 'L'): Promise<string> {
  const n = ++lineCounter;
  const from = s.output().length;
  s.type(`${line}; echo "=${tag}$((${n}*1))="\r`);
  await s.waitFor(`=${tag}${n}=`, 10_000, from);
  const seen = s.output().slice(from);
  return seen.slice(0, seen.lastIndexOf(`=${tag}${n}=`));
}
