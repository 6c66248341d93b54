// Integration (root): conmon itself accepts the terminal nsbox's console-socket program sends. conmon -t runs a
// stand-in runtime whose `create` sends a pty master with CONSOLE_SOCKET_PROGRAM (argv as consoleSocketArgv builds
// it) and starts a process on the slave: conmon must log what that process writes on the pty and record its exit
// code. A control with cmsg_len 24 (what a sender using CMSG_SPACE would write) must lose the output: conmon is
// strict, so the first check can fail.

import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONSOLE_SOCKET_PROGRAM, consoleSocketArgv } from '../../src/oci/console-socket.js';
import { isRoot } from '../helpers/nsbox.js';
import { assertNoLeaks, snapshot } from '../helpers/leaks.js';
import { gatedTest } from '../helpers/suite.js';

const conmon = spawnSync('conmon', ['--version'], { encoding: 'utf8' }).status === 0;
const skipReason = !isRoot ? 'needs root' : !conmon ? 'needs conmon (apt-get install conmon)' : undefined;
const test = gatedTest(skipReason);
const base = mkdtempSync(join(tmpdir(), 'nsbox-conmon-'));
let before: ReturnType<typeof snapshot>;

test.before(() => {
  before = snapshot();
});

test.after(async () => {
  rmSync(base, { recursive: true, force: true });
  await assertNoLeaks(before, 'oci-console-conmon');
});

/**
 * The stand-in runtime: `create ... --console-socket S --pid-file P ID` runs the program with consoleSocketArgv's
 * arguments (the socket filled in), then a process on /dev/pts/N that prints a line and exits 7; P gets its pid.
 * (In the template below, $$ is the runtime script's pid: the shell expands it before sh -c runs.)
 */
function writeRuntime(dir: string, program: string): string {
  const programFile = join(dir, 'console.pl');
  writeFileSync(programFile, program);
  const args = consoleSocketArgv('/dev/ptmx', 'SOCKET').slice(3).map((a) => (a === 'SOCKET' ? '"$sock"' : `'${a}'`)).join(' ');
  const runtime = join(dir, 'runtime');
  writeFileSync(runtime, `#!/bin/sh
sock= pidfile=
while [ $# -gt 0 ]; do
  case "$1" in --console-socket) sock=$2; shift ;; --pid-file) pidfile=$2; shift ;; esac
  shift
done
[ -n "$sock" ] || exit 0
n=$(perl ${programFile} ${args}) || exit 1
# As a real container waits at its gate until start: print only once conmon has reaped this create (the process
# is then conmon's, which alone can collect its exit code).
setsid sh -c "while kill -0 $$ 2>/dev/null; do sleep 0.05; done; exec </dev/pts/$n >/dev/pts/$n 2>&1; echo hello-from-the-pty; exit 7" &
echo $! > "$pidfile.tmp" && mv "$pidfile.tmp" "$pidfile"
`);
  chmodSync(runtime, 0o755);
  return runtime;
}

function runConmon(name: string, program: string): { log: string; exit: string } {
  const dir = join(base, name);
  for (const d of ['bundle', 'exit', 'sockets']) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(join(dir, 'bundle', 'config.json'), '{}');
  const runtime = writeRuntime(dir, program);
  const r = spawnSync('conmon', [
    '--api-version', '1', '-c', name, '-u', name, '-n', name, '-r', runtime, '-b', join(dir, 'bundle'), '-p', join(dir, 'pidfile'),
    '--exit-dir', join(dir, 'exit'), '-l', `k8s-file:${join(dir, 'log')}`, '--socket-dir-path', join(dir, 'sockets'),
    '-t', '--sync', '--syslog=false',
  ], { encoding: 'utf8', timeout: 30_000 });
  assert.is(r.error, undefined, String(r.error));
  const exitFile = join(dir, 'exit', name);
  return { log: existsSync(join(dir, 'log')) ? readFileSync(join(dir, 'log'), 'utf8') : '', exit: existsSync(exitFile) ? readFileSync(exitFile, 'utf8') : `(no exit file; conmon: ${r.stderr})` };
}

test('conmon -t takes the master nsbox sends: the pty\'s output is logged, the exit code recorded', () => {
  const { log, exit } = runConmon('good', CONSOLE_SOCKET_PROGRAM);
  // \r\n: the line went through a real terminal's line discipline (ONLCR) on its way to conmon.
  assert.match(log, / stdout F hello-from-the-pty\r\n/, `conmon's log: ${JSON.stringify(log)}`);
  assert.is(exit, '7');
});

test('control: with cmsg_len 24 conmon drops the terminal (so the check above can fail)', () => {
  const bad = CONSOLE_SOCKET_PROGRAM.replace("pack('Q l l l x4', 20, 1, 1, $fd)", "pack('Q l l l x4', 24, 1, 1, $fd)");
  assert.is.not(bad, CONSOLE_SOCKET_PROGRAM);
  const { log } = runConmon('bad', bad);
  assert.not.match(log, /hello-from-the-pty/);
});

test.run();
