// Unit: the argv of --console-socket's perl programs (the programs themselves run in
// test/integration/oci-console-socket.test.ts), the per-architecture sendmsg number, the pty-number parser.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ALLOCATE_PTY_PROGRAM, CONSOLE_SOCKET_PROGRAM, SEND_FD_PROGRAM, allocatePtyArgv, consoleSocketArgv, parsePtyNumber, sendFdArgv, sendmsgNumber, slavePath } from '../../src/oci/console-socket.js';

test('argv: perl -e PROGRAM then the arguments in the order each program reads them', () => {
  assert.equal(consoleSocketArgv('/proc/7/root/dev/pts/ptmx', '/tmp/conmon-term.X', { rows: 24, columns: 80 }, 'x64'),
    ['perl', '-e', CONSOLE_SOCKET_PROGRAM, '/proc/7/root/dev/pts/ptmx', '/tmp/conmon-term.X', '/dev/ptmx', '46', '24', '80']);
  assert.equal(consoleSocketArgv('/p', '/s', undefined, 'arm64').slice(3), ['/p', '/s', '/dev/ptmx', '211', '0', '0']);
  assert.equal(allocatePtyArgv('/p', 3, ['relay', '-x'], { rows: 1, columns: 2 }), ['perl', '-e', ALLOCATE_PTY_PROGRAM, '/p', '1', '2', '3', '--', 'relay', '-x']);
  assert.equal(sendFdArgv('/s', 5, '/dev/ptmx', 'x64'), ['perl', '-e', SEND_FD_PROGRAM, '/s', '5', '/dev/ptmx', '46']);
});

test('one sendmsg with CMSG_LEN(4) = 20 and SCM_RIGHTS, in every program that sends', () => {
  for (const program of [CONSOLE_SOCKET_PROGRAM, SEND_FD_PROGRAM]) {
    assert.is(program.match(/syscall\(/g)?.length, 1);
    assert.match(program, /pack\('Q l l l x4', 20, 1, 1, \$fd\)/);
  }
  assert.not.match(ALLOCATE_PTY_PROGRAM, /send_fd\(\$/);
});

test('refusals: an architecture without a checked layout, a master on fds 0-2, output that is no number', () => {
  assert.is(sendmsgNumber('x64'), 46);
  assert.throws(() => sendmsgNumber('riscv64'), /cannot use --console-socket on riscv64/);
  assert.throws(() => allocatePtyArgv('/p', 2, ['x']), /fd 2/);
  assert.is(parsePtyNumber('3\n'), 3);
  assert.throws(() => parsePtyNumber('nsbox-console: oops\n'), /cannot read the pty number/);
  assert.is(slavePath(4), '/dev/pts/4');
});

test.run();
