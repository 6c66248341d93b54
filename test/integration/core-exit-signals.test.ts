// Exit codes and signals like Docker, checked against real processes.
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { nsbox, startNsbox, waitForOutput, exitOf, isRoot, NSBOX } from '../helpers/nsbox.js';
import { snapshot, assertNoLeaks, descendants } from '../helpers/leaks.js';
import { gatedTest, skipPart } from '../helpers/suite.js';

const test = gatedTest(isRoot ? undefined : 'needs root');

if (!isRoot) {
  test('every exit/signal integration test', () => {}); // a counted skip, with its reason
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
    const pidns = flags.includes('--pid');
    test(`${flags.join(' ')}: kill -9 of the command gives 137, SIGTERM gives 143${pidns ? ' (to nsbox with --init; PID 1 without a handler ignores it, as in Docker)' : ''}`, async () => {
      /** Starts a box and finds its command (the sh that waits for sleep) and, with --pid, checks it is PID 1. */
      const start = async (extra: string[]) => {
        const child = startNsbox(['run', ...flags, ...extra, '--', 'sh', '-c', 'trap "kill -KILL \\$\\$" USR1; echo ready; sleep 30 & wait $!']);
        await waitForOutput(child, (o) => o.includes('ready'));
        let tree = descendants(child.pid!);
        for (let i = 0; i < 200 && !tree.some((d) => d.endsWith(':sleep')); i++) {
          await new Promise((r) => setTimeout(r, 10));
          tree = descendants(child.pid!);
        }
        assert.ok(tree.some((d) => d.endsWith(':sleep')), `the box's sleep runs; tree: ${tree}`);
        // the command: the parent of sleep
        const sleeper = Number(tree.find((d) => d.endsWith(':sleep'))!.split(':')[0]);
        const command = Number(/^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${sleeper}/status`, 'utf8'))![1]);
        return { child, command, nspid: nsPid(command) };
      };
      for (const [signal, code] of [['SIGKILL', 137], ['SIGTERM', 143]] as const) {
        const { child, command, nspid } = await start([]);
        if (pidns) assert.is(nspid, 1, 'the command is PID 1 of the box');
        if (pidns && signal === 'SIGTERM') {
          // Sent to nsbox, forwarded to PID 1, which has no handler: the kernel drops it and the box runs on.
          process.kill(child.pid!, 'SIGTERM');
          await new Promise((r) => setTimeout(r, 500));
          assert.ok(alive(command) && child.exitCode === null, 'PID 1 without a TERM handler ignores SIGTERM');
          process.kill(command, 'SIGKILL');
          assert.is((await exitOf(child)).code, 137, child.output());
          // With --init, PID 1 is the init, which passes SIGTERM on to the command: it dies of it.
          const boxed = await start(['--init']);
          assert.is.not(boxed.nspid, 1, 'with --init the command is not PID 1');
          process.kill(boxed.child.pid!, 'SIGTERM');
          assert.is((await exitOf(boxed.child)).code, 143, boxed.child.output());
          assert.not.ok(alive(boxed.command), 'the command is gone');
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

  test('--init: SIGINT and SIGQUIT reach the command, host root and image box (a shell starts its background job with both ignored)', async () => {
    const store = mkdtempSync('/tmp/nsbox-init-store-');
    const state = mkdtempSync('/tmp/nsbox-init-state-');
    const env = { ...process.env, NSBOX_ROOT: store, NSBOX_STATE: state };
    const withImage = existsSync('/bin/busybox');
    if (!withImage) skipPart('the image box case', 'needs /bin/busybox (apt-get install busybox-static)');
    try {
      if (withImage) {
        const imported = nsbox(['image', 'import', '--from-host-busybox', 'bb'], { env, timeoutMs: 60_000 });
        assert.is(imported.code, 0, imported.stderr);
      }
      // A command that traps both: a shell cannot trap a signal it was started with ignored, so it would sit on.
      const script = 'trap "exit 8" INT; trap "exit 9" QUIT; grep SigIgn /proc/self/status; while :; do sleep 0.05; done';
      const boxes = [['run', '--pid', '--mount-proc', '--init', '--', 'sh', '-c', script], ...(withImage ? [['run', '--rm', '--net', 'none', '--init', 'bb', 'sh', '-c', script]] : [])];
      for (const argv of boxes) {
        for (const [signal, code] of [['SIGINT', 8], ['SIGQUIT', 9]] as const) {
          const before = snapshot();
          const child = startNsbox(argv, env);
          // A box that ignores the signal would run on: it is killed at the end whatever happens (SIGKILL to nsbox
          // takes its box along).
          const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
          try {
            await waitForOutput(child, (o) => /SigIgn:\s+[0-9a-f]+/.test(o));
            const ignored = BigInt(`0x${/SigIgn:\s+([0-9a-f]+)/.exec(child.output())![1]}`);
            assert.is(ignored & 6n, 0n, `${argv.join(' ')}: the command ignores neither INT (2) nor QUIT (3): SigIgn ${ignored.toString(16)}`);
            process.kill(child.pid!, signal);
            const r = await exitOf(child);
            assert.is(r.code, code, `${argv.join(' ')}: ${signal} reaches the command: ${child.output()}`);
          } finally {
            clearTimeout(timer);
            if (child.exitCode === null && child.signalCode === null) {
              child.kill('SIGKILL');
              await exitOf(child);
            }
          }
          await assertNoLeaks(before, `--init ${signal}`);
        }
      }
    } finally {
      rmSync(store, { recursive: true, force: true });
      rmSync(state, { recursive: true, force: true });
    }
  });

  test('if nsbox itself is SIGKILLed, its box dies with it (no orphans): plain boxes, --pid, a user namespace, image boxes', async () => {
    // Without --pid, only the command itself is tied to nsbox (as with unshare): it execs sleep here.
    // With --pid (and in image boxes, which always have one), PID 1's death ends every process of the box, so its
    // children are checked too.
    const store = mkdtempSync('/tmp/nsbox-kill-store-');
    const state = mkdtempSync('/tmp/nsbox-kill-state-');
    const env = { ...process.env, NSBOX_ROOT: store, NSBOX_STATE: state };
    const withImage = existsSync('/bin/busybox');
    if (!withImage) skipPart('the image box case', 'needs /bin/busybox (apt-get install busybox-static)');
    try {
      if (withImage) {
        const imported = nsbox(['image', 'import', '--from-host-busybox', 'bb'], { env, timeoutMs: 60_000 });
        assert.is(imported.code, 0, imported.stderr);
      }
      const cases: [string, string[]][] = [
        ['--uts', ['run', '--uts', '--', 'sh', '-c', 'echo ready; exec sleep 30']],
        ['--pid', ['run', '--pid', '--', 'sh', '-c', 'echo ready; sleep 30; true']],
        ['--uid-map --pid', ['run', '--uid-map', '0:100000:65536', '--pid', '--', 'sh', '-c', 'echo ready; sleep 30; true']],
        ['image box', ['run', '--rm', 'bb', 'sh', '-c', 'echo ready; sleep 30; true']],
      ].filter(([what]) => withImage || what !== 'image box') as [string, string[]][];
      for (const [what, args] of cases) {
        const before = snapshot({ stateDirs: [state] });
        const child = startNsbox(args, env);
        await waitForOutput(child, (o) => o.includes('ready'), 30_000);
        for (let i = 0; i < 200 && !descendants(child.pid!).some((d) => d.endsWith(':sleep')); i++) await new Promise((r) => setTimeout(r, 10));
        const named = descendants(child.pid!);
        assert.ok(named.some((d) => d.endsWith(':sleep')), `${what}: the box's sleep is in the captured tree: ${named}`);
        const tree = named.map((d) => Number(d.split(':')[0]));
        process.kill(child.pid!, 'SIGKILL');
        await exitOf(child);
        const deadline = Date.now() + 5000;
        while (tree.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        assert.equal(tree.filter(alive), [], `${what}: processes left`);
        // What a killed nsbox cannot undo itself (an image box's mounts and container dir) is gc's to remove.
        const gc = nsbox(['gc'], { env, timeoutMs: 60_000 });
        assert.is(gc.code, 0, gc.stderr);
        await assertNoLeaks(before, what);
      }
    } finally {
      nsbox(['gc'], { env, timeoutMs: 60_000 });
      rmSync(store, { recursive: true, force: true });
      rmSync(state, { recursive: true, force: true });
    }
  });

  test('if `nsbox exec` is SIGKILLed, the command it started dies with it (host-root and image boxes); the box runs on', async () => {
    const store = mkdtempSync('/tmp/nsbox-kill-exec-store-');
    const state = mkdtempSync('/tmp/nsbox-kill-exec-state-');
    const env = { ...process.env, NSBOX_ROOT: store, NSBOX_STATE: state, NSBOX_IMAGE_NETWORK: 'none' };
    const withImage = existsSync('/bin/busybox');
    if (!withImage) skipPart('the image box case', 'needs /bin/busybox (apt-get install busybox-static)');
    try {
      if (withImage) assert.is(nsbox(['image', 'import', '--from-host-busybox', 'bb'], { env, timeoutMs: 60_000 }).code, 0);
      const boxes: [string, string[]][] = [
        ['host-root box', ['run', '-d', '--name', 'target', '--pid', '--', 'sleep', '1000']],
        ['image box', ['run', '-d', '--name', 'target', 'bb', 'sleep', '1000']],
      ];
      for (const [what, args] of boxes.filter(([w]) => withImage || w !== 'image box')) {
        const started = nsbox(args, { env, timeoutMs: 60_000 });
        assert.is(started.code, 0, `${what}: ${started.stderr}`);
        const boxPid = (JSON.parse(nsbox(['ps', '--json'], { env }).stdout) as { pid: number }[])[0]!.pid;
        const child = startNsbox(['exec', 'target', 'sleep', '777'], env);
        let tree: string[] = [];
        for (let i = 0; i < 300 && !tree.some((d) => d.endsWith(':sleep')); i++) {
          await new Promise((r) => setTimeout(r, 10));
          tree = descendants(child.pid!);
        }
        assert.ok(tree.some((d) => d.endsWith(':sleep')), `${what}: the exec'd sleep is in the captured tree: ${tree} ${child.output()}`);
        const pids = tree.map((d) => Number(d.split(':')[0]));
        process.kill(child.pid!, 'SIGKILL');
        await exitOf(child);
        const deadline = Date.now() + 5000;
        while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        assert.equal(pids.filter(alive), [], `${what}: exec's processes left (${tree})`);
        assert.ok(alive(boxPid), `${what}: the box itself still runs`);
        assert.is(nsbox(['rm', '-f', 'target'], { env, timeoutMs: 60_000 }).code, 0);
      }
    } finally {
      nsbox(['gc'], { env, timeoutMs: 60_000 });
      rmSync(store, { recursive: true, force: true });
      rmSync(state, { recursive: true, force: true });
    }
  });

  test('a failed step of the init (here `ip link set lo up`): one line with its words and the tool\'s, 125, the command never runs, nothing left; fast or slow, with and without --pid, and in the --dry-run script', async () => {
    // A host-root box looks its tools up in nsbox's PATH: a fake ip first. The slow one fails well after nsbox has
    // checked the namespaces and opened the gate (the init waits at it after its steps), the fast one at once.
    const dir = mkdtempSync('/tmp/nsbox-init-step-');
    try {
      const marker = `${dir}/ran`;
      for (const delay of ['0', '0.3']) {
        writeFileSync(`${dir}/ip`, `#!/bin/sh\nsleep ${delay}\necho "RTNETLINK answers: Operation not permitted" >&2\nexit 2\n`, { mode: 0o755 });
        const env = { ...process.env, PATH: `${dir}:${process.env.PATH}` };
        for (const flags of [['--net'], ['--pid', '--net', '--mount-proc']]) {
          const before = snapshot();
          const r = nsbox(['run', ...flags, '--', 'touch', marker], { env });
          assert.is(r.code, 125, `${flags.join(' ')}, ip after ${delay}s: ${r.stderr}`);
          assert.is(r.stderr, 'nsbox: cannot set up the box: ip link set lo up: RTNETLINK answers: Operation not permitted\n', `${flags.join(' ')}, ip after ${delay}s`);
          assert.not.ok(existsSync(marker), 'the command never ran');
          await assertNoLeaks(before, `${flags.join(' ')}, ip after ${delay}s`);
          const script = nsbox(['run', ...flags, '--dry-run', '--', 'touch', marker], { env });
          // A box that fails just after the script's check: its `echo go > fifo` once waited for a reader forever
          // (1 run in 20 with --pid), so the fast one runs 20 times.
          for (let run = 0; run < (delay === '0' ? 20 : 1); run++) {
            const viaSh = spawnSync('sh', ['-s'], { input: script.stdout, encoding: 'utf8', env, timeout: 10_000 });
            assert.is(viaSh.status, 125, `the script, run ${run + 1}: ${viaSh.stderr}`);
          }
          assert.not.ok(existsSync(marker), 'the script\'s command never ran');
        }
      }
      // A step that succeeds but prints on stderr (fd 3 under the script, a fifo the box reads too, where the line
      // comes back to the init at its gate): the box runs its command once, lo up, as under nsbox.
      writeFileSync(`${dir}/ip`, '#!/bin/sh\necho "a warning" >&2\nexec /sbin/ip "$@"\n', { mode: 0o755 });
      const env = { ...process.env, PATH: `${dir}:${process.env.PATH}` };
      const script = nsbox(['run', '--pid', '--net', '--dry-run', '--', 'sh', '-c', 'cat /sys/class/net/lo/operstate; echo once'], { env });
      const viaSh = spawnSync('sh', ['-s'], { input: script.stdout, encoding: 'utf8', env });
      assert.is(viaSh.status, 0, viaSh.stderr);
      assert.is(viaSh.stdout, 'unknown\nonce\n');
      assert.is(nsbox(['run', '--pid', '--net', '--', 'sh', '-c', 'cat /sys/class/net/lo/operstate; echo once'], { env }).stdout, viaSh.stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('only fds 0, 1 and 2 reach the command, whatever nsbox inherited', () => {
    // python3 hands nsbox extra inheritable fds 7 and 40 (a host file) the way a careless parent would (node itself
    // marks a low one such as 7 close-on-exec at start-up, not 40: only close-fds.ts keeps that one from the box)
    const r = spawnSync('python3', ['-c', `import os, subprocess, sys
fd = os.open('/etc/hostname', os.O_RDONLY)
for n in (7, 40):
    os.dup2(fd, n)
    os.set_inheritable(n, True)
sys.exit(subprocess.run([sys.argv[1], 'run', '--uts', '--', 'ls', '/proc/self/fd'], pass_fds=(7, 40)).returncode)`, NSBOX], { encoding: 'utf8' });
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

/** The PID of a process in its own (innermost) pid namespace. */
function nsPid(pid: number): number {
  return Number(/^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]!.trim().split(/\s+/).pop());
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
