// Unit (no root): the relay of `nsbox-runtime run` with a terminal and no --console-socket, run for real with the
// host's perl: it listens, says so on fd 3, takes a pty master sent as a console socket's message (by console-socket.ts's
// own sender), copies the slave's output to its stdout and ends with 0 once every slave is closed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { closeSync, constants, existsSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { receivingRelayArgv, relayArgv } from '../../src/tty/relay-program.js';
import { allocatePtyArgv, sendFdArgv } from '../../src/oci/console-socket.js';

const tmp = mkdtempSync(join(tmpdir(), 'nsbox-rt-relay-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

test('argv: the relay with recv:SYS_RECVMSG:SOCKET and no command; other architectures refused', () => {
  assert.equal(receivingRelayArgv('nsbox-tty x', '/s/console.sock', 'x64').slice(3), ['nsbox-tty x', 'recv:47:/s/console.sock', '1', '0', '--']);
  assert.equal(receivingRelayArgv('t', '/s', 'arm64')[4], 'recv:212:/s');
  assert.equal(receivingRelayArgv('t', '/s', 'x64').slice(0, 3), relayArgv('t', 'x', { stdin: true, ctty: false }, []).slice(0, 3));
  assert.throws(() => receivingRelayArgv('t', '/s', 'riscv64'), /cannot relay a terminal on riscv64/);
});

test('the relay receives a master sent to its socket, relays the slave\'s output, removes the socket, ends 0 when the slave closes', async () => {
  const socket = join(tmp, 'console.sock');
  const argv = receivingRelayArgv('nsbox-tty unit', socket);
  const relay = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  relay.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  relay.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => relay.on('exit', (code) => resolve(code)));
  const said = await new Promise<string>((resolve) => {
    let t = '';
    (relay.stdio[3] as Readable).setEncoding('utf8').on('data', (d: string) => (t += d)).on('close', () => resolve(t));
  });
  assert.is(said, 'listening\n', err);
  // A pty of the host's devpts; its master goes to the socket as a container's init would send it, then this side lets go.
  const sender = allocatePtyArgv('/dev/ptmx', 5, sendFdArgv(socket, 5));
  const send = spawn(sender[0]!, sender.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let number = '';
  send.stdout!.setEncoding('utf8').on('data', (d: string) => (number += d));
  const sent = await new Promise<number | null>((resolve) => send.on('exit', (code) => resolve(code)));
  assert.is(sent, 0, 'the master was sent');
  const slave = openSync(`/dev/pts/${number.trim()}`, constants.O_RDWR | constants.O_NOCTTY);
  writeSync(slave, 'hello from the slave\n');
  for (let i = 0; i < 100 && !out.includes('hello'); i++) await new Promise((r) => setTimeout(r, 20));
  assert.is(out, 'hello from the slave\r\n', 'the pty\'s output (cooked: \\r\\n) on the relay\'s stdout');
  assert.not.ok(existsSync(socket), 'the socket is gone once the master arrived');
  closeSync(slave);
  const code = await Promise.race([exited, new Promise((r) => setTimeout(r, 5000, 'timeout').unref())]);
  assert.is(code, 0, `every slave closed: the relay ends (${err})`);
});

test.run();
