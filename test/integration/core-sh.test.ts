// `nsbox sh`: the user's shell in the box, on a real terminal (a pty from util-linux `script`).
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { nsbox, NSBOX, isRoot, exitOf } from '../helpers/nsbox.js';
import { snapshot, assertNoLeaks } from '../helpers/leaks.js';
import { gatedTest } from '../helpers/suite.js';

const test = gatedTest(isRoot ? undefined : 'needs root');

if (!isRoot) {
  test('every sh integration test', () => {}); // a counted skip, with its reason
  test.run();
} else {
  test('sh runs $SHELL in the box; without a terminal it reads commands from stdin', () => {
    const r = nsbox(['sh', '--pid', '--mount-proc', '--hostname', 'shellbox'], { input: 'echo "pid=$$"; hostname; exit 4\n', env: { ...process.env, SHELL: '/bin/sh' } });
    assert.is(r.code, 4, r.stderr);
    assert.equal(r.stdout.trim().split('\n'), ['pid=1', 'shellbox']);
  });

  test('on a terminal, Ctrl-C interrupts the program inside, not nsbox; exit leaves with the shell\'s status', async () => {
    const before = snapshot();
    const child = spawn('script', ['-qfec', `${NSBOX} sh --uts --pid --mount-proc`, '/dev/null'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, SHELL: '/bin/bash', PS1: 'box$ ', TERM: 'dumb' },
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    const waitFor = async (text: string) => {
      const deadline = Date.now() + 10_000;
      while (!out.includes(text)) {
        if (Date.now() > deadline) throw new Error(`no "${text}" in: ${out}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const send = (s: string) => child.stdin!.write(s);
    send('echo started-$$\r');
    await waitFor('started-1');
    send('sleep 30\r');
    await new Promise((r) => setTimeout(r, 500));
    send('\x03'); // Ctrl-C: the terminal sends SIGINT to the foreground job inside the box
    send('echo status-$?\r');
    await waitFor('status-130');
    send('echo still-here\r');
    await waitFor('still-here\r\n');
    send('exit 3\r');
    const r = await exitOf(child);
    assert.is(r.code, 3, out);
    await assertNoLeaks(before, 'sh on a pty');
  });
}
test.run();
