// Exit codes and signals like Docker, checked against real processes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { nsbox, startNsbox, waitForOutput, exitOf, isRoot, NSBOX } from '../helpers/nsbox.js';
import { snapshot, assertNoLeaks, descendants } from '../helpers/leaks.js';

if (!isRoot) {
  console.log('SKIP: exit/signal integration tests need root');
  test.run();
} else {
  for (const code of [0, 1, 42]) {
    test(`exit ${code} is nsbox's exit ${code}`, () => {
      assert.is(nsbox(['run', '--uts', '--', 'sh', '-c', `exit ${code}`]).code, code);
      assert.is(nsbox(['run', '--pid', '--', 'sh', '-c', `exit ${code}`]).code, code);
    });
  }

  test('126: not executable; 127: not found; one line each, nothing started', async () => {
    const dir = mkdtempSync('/tmp/nsbox-exec-');
    try {
      writeFileSync(`${dir}/script`, '#!/bin/sh\necho hi\n', { mode: 0o644 });
      const before = snapshot();
      const notExec = nsbox(['run', '--uts', '--', `${dir}/script`]);
      assert.is(notExec.code, 126);
      assert.match(notExec.stderr, /^nsbox: \/tmp\/nsbox-exec-\w+\/script: not executable in the box \(permission denied\)\n$/);
      const dirCmd = nsbox(['run', '--uts', '--', dir]);
      assert.is(dirCmd.code, 126);
      assert.match(dirCmd.stderr, /: not executable in the box \(is a directory\)\n$/);
      const missing = nsbox(['run', '--uts', '--', 'no-such-command-anywhere']);
      assert.is(missing.code, 127);
      assert.match(missing.stderr, /^nsbox: no-such-command-anywhere: not found in the box\n$/);
      await assertNoLeaks(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const flags of [['--uts'], ['--pid', '--mount-proc']]) {
    test(`${flags.join(' ')}: kill -9 of the command gives 137, SIGTERM gives 143`, async () => {
      for (const [signal, code] of [['SIGKILL', 137], ['SIGTERM', 143]] as const) {
        const child = startNsbox(['run', ...flags, '--', 'sh', '-c', 'trap "kill -KILL \\$\\$" USR1; echo ready; sleep 30 & wait $!']);
        await waitForOutput(child, (o) => o.includes('ready'));
        // the command: the nsbox process's descendant named sh that is parent of sleep
        let tree = descendants(child.pid!);
        for (let i = 0; i < 200 && !tree.some((d) => d.endsWith(':sleep')); i++) {
          await new Promise((r) => setTimeout(r, 10));
          tree = descendants(child.pid!);
        }
        const sleeper = tree.find((d) => d.endsWith(':sleep'))!;
        const shells = tree.filter((d) => d.endsWith(':sh')).map((d) => Number(d.split(':')[0]));
        const command = shells[shells.length - 1]!;
        assert.ok(sleeper, `tree: ${tree}`);
        if (flags.includes('--pid') && signal === 'SIGTERM') {
          // PID 1 without a handler ignores SIGTERM (like docker); kill the sleep it waits for with it instead
          process.kill(Number(sleeper.split(':')[0]), 'SIGTERM');
          const r = await exitOf(child);
          assert.is(r.code, 143, child.output());
          continue;
        }
        process.kill(command, signal);
        const r = await exitOf(child);
        assert.is(r.code, code, child.output());
      }
    });

    test(`${flags.join(' ')}: SIGTERM and SIGINT sent to nsbox reach a command that traps them`, async () => {
      for (const [signal, code] of [['SIGTERM', 7], ['SIGINT', 8], ['SIGHUP', 9], ['SIGUSR1', 10]] as const) {
        const before = snapshot();
        const child = startNsbox(['run', ...flags, '--', 'sh', '-c', 'trap "echo got TERM; exit 7" TERM; trap "echo got INT; exit 8" INT; trap "exit 9" HUP; trap "exit 10" USR1; echo ready; while :; do sleep 0.05; done']);
        await waitForOutput(child, (o) => o.includes('ready'));
        process.kill(child.pid!, signal);
        const r = await exitOf(child);
        assert.is(r.code, code, `${signal}: ${child.output()}`);
        await assertNoLeaks(before, signal);
      }
    });
  }

  test('if nsbox itself is SIGKILLed, its box dies with it (no orphans)', async () => {
    // Without --pid, only the command itself is tied to nsbox (as with unshare): it execs sleep here.
    // With --pid, PID 1's death ends every process of the box, so its children are checked too.
    for (const flags of [['--uts'], ['--pid'], ['--uid-map', '0:100000:65536', '--pid']]) {
      const before = snapshot();
      const child = startNsbox(['run', ...flags, '--', 'sh', '-c', flags.includes('--pid') ? 'echo ready; sleep 30; true' : 'echo ready; exec sleep 30']);
      await waitForOutput(child, (o) => o.includes('ready'));
      for (let i = 0; i < 200 && !descendants(child.pid!).some((d) => d.endsWith(':sleep')); i++) await new Promise((r) => setTimeout(r, 10));
      const tree = descendants(child.pid!).map((d) => Number(d.split(':')[0]));
      process.kill(child.pid!, 'SIGKILL');
      await exitOf(child);
      const deadline = Date.now() + 3000;
      while (tree.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(tree.filter(alive), [], `${flags}: processes left`);
      await assertNoLeaks(before);
    }
  });

  test('only fds 0, 1 and 2 reach the command, whatever nsbox inherited', () => {
    // python3 hands nsbox an extra inheritable fd 7 (a host file) the way a careless parent would
    const r = spawnSync('python3', ['-c', `import os, subprocess, sys
fd = os.open('/etc/hostname', os.O_RDONLY)
os.dup2(fd, 7)
os.set_inheritable(7, True)
sys.exit(subprocess.run([sys.argv[1], 'run', '--uts', '--', 'ls', '/proc/self/fd'], pass_fds=(7,)).returncode)`, NSBOX], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim().split('\n').filter((fd) => fd !== '3'), ['0', '1', '2'], 'ls itself opens one dir fd');
  });

  test('bad input: one line, exit 125, nothing created', async () => {
    const cases: string[][] = [
      ['run', '--bogus-flag', '--', 'true'],
      ['run', '--uid-map', '0:1000', '--', 'true'],
      ['run', '--uid-map', '0:1000:10', '--uid-map', '5:3000:10', '--', 'true'],
      ['run', '--uid-map', '0:1000:10', '--uid-map', '50:1005:10', '--', 'true'],
      ['run', '--hostname', 'x'.repeat(65), '--', 'true'],
      ['run', '--hostname', 'under_score', '--', 'true'],
      ['run', '--hostname', 'semi;colon', '--', 'true'],
      ['run', '--uts'],
      ['run', '--env-file', '/nonexistent/env', '--', 'true'],
      ['run', '-w', '/nonexistent/dir', '--', 'true'],
      ['run', '-w', 'relative', '--', 'true'],
      ['run', '--user=nosuchuser', '--', 'true'],
      ['sh', '--bogus'],
      ['nosuchcommand'],
    ];
    for (const args of cases) {
      const before = snapshot();
      const r = nsbox(args);
      assert.is(r.code, 125, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^nsbox: [^\n]+\n(nsbox: hint: [^\n]+\n)?$/, `${args.join(' ')}: ${JSON.stringify(r.stderr)}`);
      assert.is(r.stdout, '');
      await assertNoLeaks(before, args.join(' '));
    }
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
test.run();
