// The executor with a recording runner: steps run in order, placeholders are filled, and a failure at any step
// undoes every earlier step, newest first, and ends the box.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { executePlan, exitCodeOf, checkPlanTools } from '../../src/exec/executor.js';
import type { ExitStatus, LaunchedProcess, Runner } from '../../src/exec/runner.js';
import type { Plan, Step } from '../../src/plan/types.js';
import type { NamespaceInodes } from '../../src/ns/inodes.js';
import { NsboxError } from '../../src/errors.js';

const HOST: NamespaceInodes = { mount: 1, uts: 2, ipc: 3, net: 4, pid: 5, user: 6, cgroup: 7, time: 8 };

/** Records every call; `failOn` makes the call whose description starts with it throw. */
function recorder(failOn?: string, exitWith: ExitStatus = { code: 0, signal: null }) {
  const calls: string[] = [];
  let launched = 0;
  const record = (what: string) => {
    calls.push(what);
    if (failOn && what.startsWith(failOn)) throw new NsboxError(`boom: ${what}`);
  };
  const runner: Runner = {
    exec: async (argv) => record(`exec ${argv.join(' ')}`),
    writeFile: async (p, c) => record(`write ${p} ${c.trim()}`),
    mkdir: async (p) => record(`mkdir ${p}`),
    rmdir: async (p) => record(`rmdir ${p}`),
    remove: async (p) => record(`remove ${p}`),
    removeCgroup: async (p) => record(`remove-cgroup ${p}`),
    launch(argv, gated): LaunchedProcess {
      const pid = 1000 + launched++;
      record(`launch ${pid} ${argv.join(' ')}`);
      let exited = false;
      let resolveExit!: (s: ExitStatus) => void;
      const exitPromise = new Promise<ExitStatus>((r) => (resolveExit = r));
      return {
        pid,
        exited: exitPromise,
        hasExited: () => exited,
        release: () => {
          record(`release ${pid}`);
          if (gated) setTimeout(() => ((exited = true), resolveExit(exitWith)), 1);
        },
        messages: () => '',
        // test hook: kill resolves the exit
        ...({ _kill: () => ((exited = true), resolveExit({ code: null, signal: 'SIGKILL' })) } as object),
      } as LaunchedProcess;
    },
    readNamespaces: (pid) => (pid === process.pid ? HOST : { ...HOST, uts: 99 }),
    kill(pid, signal) {
      calls.push(`kill ${pid} ${signal}`);
    },
  };
  return { runner, calls };
}

/** A killed fake box never "exits" by itself: make the runner's kill of the launched box end it. */
function killEndsBox(runner: ReturnType<typeof recorder>['runner']): void {
  const realLaunch = runner.launch.bind(runner);
  runner.launch = (argv, gated) => {
    const proc = realLaunch(argv, gated) as LaunchedProcess & { _kill: () => void };
    const realKill = runner.kill;
    runner.kill = (pid, sig) => {
      realKill(pid, sig);
      if (pid === proc.pid) proc._kill();
    };
    return proc;
  };
}

const steps: Step[] = [
  { kind: 'mkdir', path: '/cg/a', why: 'a', undo: { kind: 'remove-cgroup', path: '/cg/a' } },
  { kind: 'write-file', path: '/cg/a/memory.max', content: '100\n', why: 'b' },
  { kind: 'launch', as: 'box', argv: ['unshare', '--uts', '--', 'true'], gated: true, why: 'c' },
  { kind: 'await-namespaces', pid: 'box', isolate: ['uts'], checkShared: true, why: 'd' },
  { kind: 'exec', argv: ['nsenter', '--target', '{box}', '--uts', '--', 'hostname', 'x'], why: 'e', undo: { kind: 'exec', argv: ['undo-e', '{box}'] } },
  { kind: 'write-file', path: '/cg/a/cgroup.procs', content: '{box}', why: 'f' },
  { kind: 'release', why: 'g' },
  { kind: 'wait', why: 'h' },
];
const plan: Plan = { title: 't', scripts: [], steps };

test('all steps in order, placeholders filled, undo at teardown', async () => {
  const { runner, calls } = recorder();
  const status = await executePlan(plan, runner);
  assert.equal(status, { code: 0, signal: null });
  assert.equal(calls, [
    'mkdir /cg/a',
    'write /cg/a/memory.max 100',
    'launch 1000 unshare --uts -- true',
    'exec nsenter --target 1000 --uts -- hostname x',
    'write /cg/a/cgroup.procs 1000',
    'release 1000',
    'exec undo-e 1000',
    'remove-cgroup /cg/a',
  ]);
});

for (const [failOn, expectedUndos] of [
  ['mkdir', []],
  ['write /cg/a/memory.max', ['remove-cgroup /cg/a']],
  ['exec nsenter', ['kill 1000 SIGKILL', 'remove-cgroup /cg/a']],
  ['write /cg/a/cgroup.procs', ['kill 1000 SIGKILL', 'exec undo-e 1000', 'remove-cgroup /cg/a']],
] as const) {
  test(`failure at "${failOn}" rolls back everything before it, newest first`, async () => {
    const { runner, calls } = recorder(failOn);
    killEndsBox(runner);
    try {
      await executePlan(plan, runner);
      assert.unreachable('should fail');
    } catch (error) {
      assert.instance(error, NsboxError);
      assert.match((error as Error).message, /boom/);
    }
    const failedAt = calls.findIndex((c) => c.startsWith(failOn));
    assert.equal(calls.slice(failedAt + 1), [...expectedUndos]);
    assert.not.ok(calls.some((c) => c.startsWith('release')), 'the command never started');
  });
}

test('a background write (the cgroup move): the steps after it go on, the gate opens only once it is done', async () => {
  const { runner, calls } = recorder();
  let finish!: () => void;
  runner.writeFileInBackground = (p, c) => {
    calls.push(`start write ${p} ${c}`);
    return new Promise<void>((resolve) => (finish = () => (calls.push(`done write ${p}`), resolve())));
  };
  const background: Plan = { title: 't', scripts: [], steps: steps.map((s) => (s.kind === 'write-file' && s.path.endsWith('cgroup.procs') ? { ...s, background: true } : s)) };
  const reordered: Plan = { ...background, steps: [...background.steps.slice(0, 3), background.steps[5]!, background.steps[3]!, background.steps[4]!, ...background.steps.slice(6)] };
  const run = executePlan(reordered, runner);
  await new Promise((r) => setTimeout(r, 20));
  assert.ok(calls.includes('exec nsenter --target 1000 --uts -- hostname x'), 'the step after the write ran meanwhile');
  assert.not.ok(calls.some((c) => c.startsWith('release')), 'the gate waits for the write');
  finish();
  assert.equal(await run, { code: 0, signal: null });
  assert.ok(calls.indexOf('done write /cg/a/cgroup.procs') < calls.indexOf('release 1000'));
});

test('background execs (cgcreate, cgset): one after another, the steps after them go on, a background write and the gate wait for them; a failure rolls back their undo', async () => {
  for (const fail of [false, true]) {
    const { runner, calls } = recorder();
    const finish: (() => void)[] = [];
    runner.exec = (argv) => {
      calls.push(`start ${argv.join(' ')}`);
      if (!argv[0]!.startsWith('cg')) return Promise.resolve();
      return new Promise<void>((resolve, reject) => finish.push(() => (calls.push(`done ${argv[0]}`), fail && argv[0] === 'cgset' ? reject(new NsboxError('boom: cgset')) : resolve())));
    };
    runner.writeFileInBackground = async (p) => void calls.push(`write ${p}`);
    killEndsBox(runner);
    const bg: Plan = {
      title: 't',
      scripts: [],
      steps: [
        steps[2]!,
        { kind: 'exec', argv: ['cgcreate', '-g', 'memory:/x'], why: 'a', undo: { kind: 'remove-cgroup', path: '/cg/x' }, background: true },
        { kind: 'exec', argv: ['cgset', '-r', 'memory.limit_in_bytes=1', '/x'], why: 'b', background: true },
        { kind: 'write-file', path: '/cg/x/cgroup.procs', content: '{box}', why: 'j', background: true },
        { kind: 'mkdir', path: '/c', why: 'c' },
        steps[3]!,
        steps[6]!,
        steps[7]!,
      ],
    };
    const run = executePlan(bg, runner);
    run.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 20));
    assert.ok(calls.includes('mkdir /c'), 'the step after them ran meanwhile');
    assert.not.ok(calls.some((c) => c.startsWith('start cgset') || c.startsWith('write ')), 'cgset and the write wait for cgcreate');
    finish.shift()!();
    await new Promise((r) => setTimeout(r, 5));
    assert.ok(calls.includes('start cgset -r memory.limit_in_bytes=1 /x') && !calls.includes('write /cg/x/cgroup.procs'), 'cgset after cgcreate, the write after both');
    assert.not.ok(calls.some((c) => c.startsWith('release')), 'the gate waits for them');
    finish.shift()!();
    if (!fail) {
      assert.equal(await run, { code: 0, signal: null });
      assert.ok(calls.indexOf('write /cg/x/cgroup.procs') < calls.indexOf('release 1000') && calls.indexOf('done cgset') < calls.indexOf('write /cg/x/cgroup.procs'));
      assert.equal(calls.at(-1), 'remove-cgroup /cg/x');
    } else {
      await run.then(() => assert.unreachable('should fail'), (error) => assert.match((error as Error).message, /boom: cgset/));
      assert.not.ok(calls.some((c) => c.startsWith('release')), 'the command never started');
      assert.equal(calls.slice(-2), ['kill 1000 SIGKILL', 'remove-cgroup /cg/x']);
    }
  }
});

test('consecutive background execs go to the runner as one group (execInOrder); the steps after them go on, the gate waits; a failure rolls back their undo', async () => {
  for (const fail of [false, true]) {
    const { runner, calls } = recorder();
    let finish!: () => void;
    runner.execInOrder = (argvs) => {
      calls.push(`group ${argvs.map((a) => a.join(' ')).join(' && ')}`);
      return new Promise<void>((resolve, reject) => (finish = () => (calls.push('group done'), fail ? reject(new NsboxError('boom: cgset')) : resolve())));
    };
    killEndsBox(runner);
    const bg: Plan = {
      title: 't',
      scripts: [],
      steps: [
        { kind: 'exec', argv: ['cgcreate', '-g', 'memory:/x'], why: 'a', undo: { kind: 'remove-cgroup', path: '/cg/x' }, background: true },
        { kind: 'exec', argv: ['cgset', '-r', 'memory.limit_in_bytes=1', '/x'], why: 'b', background: true },
        steps[2]!,
        { kind: 'mkdir', path: '/c', why: 'c' },
        steps[3]!,
        steps[6]!,
        steps[7]!,
      ],
    };
    const run = executePlan(bg, runner);
    run.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(calls.slice(0, 3), ['group cgcreate -g memory:/x && cgset -r memory.limit_in_bytes=1 /x', 'launch 1000 unshare --uts -- true', 'mkdir /c'], 'one group; the launch and the step after it ran meanwhile');
    assert.not.ok(calls.some((c) => c.startsWith('release') || c.startsWith('exec ')), 'the gate waits for the group; no exec of its own for either step');
    finish();
    if (!fail) {
      assert.equal(await run, { code: 0, signal: null });
      assert.ok(calls.indexOf('group done') < calls.indexOf('release 1000'));
      assert.equal(calls.at(-1), 'remove-cgroup /cg/x');
    } else {
      await run.then(() => assert.unreachable('should fail'), (error) => assert.match((error as Error).message, /boom: cgset/));
      assert.not.ok(calls.some((c) => c.startsWith('release')), 'the command never started');
      assert.equal(calls.slice(-2), ['kill 1000 SIGKILL', 'remove-cgroup /cg/x']);
    }
  }
});

test('a background write that fails: the box never starts and everything is rolled back', async () => {
  const { runner, calls } = recorder();
  runner.writeFileInBackground = async (p) => {
    calls.push(`start write ${p}`);
    throw new NsboxError(`cannot write ${p}: No such process`);
  };
  killEndsBox(runner);
  const background: Plan = { title: 't', scripts: [], steps: steps.map((s) => (s.kind === 'write-file' && s.path.endsWith('cgroup.procs') ? { ...s, background: true } : s)) };
  try {
    await executePlan(background, runner);
    assert.unreachable('should fail');
  } catch (error) {
    assert.match((error as Error).message, /cannot write \/cg\/a\/cgroup.procs/);
  }
  assert.not.ok(calls.some((c) => c.startsWith('release')), 'the command never started');
  assert.equal(calls.slice(-3), ['kill 1000 SIGKILL', 'exec undo-e 1000', 'remove-cgroup /cg/a']);
});

test('a namespace that is not new after launch times out as an error, and nothing is left', async () => {
  const { runner, calls } = recorder();
  runner.readNamespaces = () => HOST; // unshare "did nothing"
  runner.launch = ((orig) => (argv: readonly string[], gated: boolean) => {
    const p = orig(argv, gated) as LaunchedProcess & { _kill: () => void };
    runner.kill = (pid, sig) => {
      calls.push(`kill ${pid} ${sig}`);
      p._kill();
    };
    return p;
  })(runner.launch);
  try {
    await executePlan(plan, runner, { namespaceTimeoutMs: 30 });
    assert.unreachable();
  } catch (error) {
    assert.match((error as Error).message, /did not appear/);
  }
  assert.equal(calls.slice(-2), ['kill 1000 SIGKILL', 'remove-cgroup /cg/a']);
});

test('a shared namespace that changed anyway fails the check', async () => {
  const { runner } = recorder();
  runner.readNamespaces = (pid) => (pid === process.pid ? HOST : { ...HOST, uts: 99, net: 98 });
  runner.launch = ((orig) => (argv: readonly string[], gated: boolean) => {
    const p = orig(argv, gated) as LaunchedProcess & { _kill: () => void };
    runner.kill = () => p._kill();
    return p;
  })(runner.launch);
  try {
    await executePlan(plan, runner);
    assert.unreachable();
  } catch (error) {
    assert.match((error as Error).message, /net namespace is not the host's/);
  }
});

test('exit codes: status, or 128+N for signal N', () => {
  assert.is(exitCodeOf({ code: 42, signal: null }), 42);
  assert.is(exitCodeOf({ code: null, signal: 'SIGKILL' }), 137);
  assert.is(exitCodeOf({ code: null, signal: 'SIGTERM' }), 143);
});

test('a missing tool names its package', () => {
  const p: Plan = { title: 't', scripts: [], steps: [{ kind: 'launch', as: 'box', gated: true, why: 'x', argv: ['setpriv', '--', 'unshare', '--', '/bin/sh'] }] };
  try {
    checkPlanTools(p, (name) => (name === 'unshare' ? undefined : `/usr/bin/${name}`));
    assert.unreachable();
  } catch (error) {
    assert.match((error as Error).message, /cannot find unshare/);
    assert.match((error as NsboxError).hint ?? '', /apt-get install util-linux/);
  }
});

/** A runner whose launch is an OCI forker: it "says" `said` on fd 3 and exits; the init (pid 4242) lives on. */
function forkerRunner(said: string) {
  const { runner, calls } = recorder();
  runner.launch = (argv, gated, detach, tty): LaunchedProcess => {
    calls.push(`launch ${argv.join(' ')} gated=${gated} tty=${tty === true}`);
    return {
      pid: 1000,
      exited: Promise.resolve({ code: 0, signal: null }),
      hasExited: () => true,
      release: () => calls.push('release'),
      messages: () => said,
      handOver: async (_ms, forked) => (calls.push(`hand over keep=${forked?.keep}`), said),
    };
  };
  return { runner, calls };
}

const created: Plan = {
  title: 'nsbox-runtime create',
  scripts: [],
  literal: true,
  steps: [
    { kind: 'mkdir', path: '/state/{box}', why: 'a', undo: { kind: 'remove', path: '/state/{box}' } },
    { kind: 'mkdir', path: '/cg/c1', why: 'b', undo: { kind: 'rmdir', path: '/cg/c1' } },
    { kind: 'launch', as: 'box', argv: ['sh', '-c', 'echo {box}'], gated: true, tty: true, why: 'c', mode: 'oci-created' },
  ],
};

test('oci-created: words used as written, the init\'s pid from the forker, onCreated sees it, undos kept', async () => {
  const { runner, calls } = forkerRunner('pid 4242\nready\n');
  let seen: number | undefined;
  const status = await executePlan(created, runner, { onCreated: (e) => void (seen = e.pids.box) });
  assert.equal(status, { code: 0, signal: null });
  assert.is(seen, 4242);
  assert.equal(calls, ['mkdir /state/{box}', 'mkdir /cg/c1', 'launch sh -c echo {box} gated=true tty=true', 'hand over keep=false']);
});

test('oci-created: an init that never got ready is killed and every step rolled back, with the caller\'s error', async () => {
  const { runner, calls } = forkerRunner('pid 4242\nfailed: mount proc\n');
  const order: string[] = [];
  try {
    await executePlan(created, runner, {
      onCreated: () => assert.unreachable('not ready: no onCreated'),
      createdFailure: (lines) => new NsboxError(`create: ${lines.join('; ')}`),
      beforeRollback: (e) => void order.push(`empty cgroups of ${e.pids.box}`),
    });
    assert.unreachable();
  } catch (error) {
    assert.match((error as Error).message, /^create: pid 4242; failed: mount proc$/);
  }
  assert.ok(calls.includes('kill 4242 SIGKILL'), calls.join('\n'));
  assert.equal(order, ['empty cgroups of 4242']);
  assert.equal(calls.slice(-2), ['rmdir /cg/c1', 'remove /state/{box}']);
});

test('oci-created: steps after the launch run once the init is ready, {box} its pid, before onCreated; the launch gets passFds', async () => {
  const { runner, calls } = forkerRunner('pid 4242\nready\n');
  const launch = runner.launch;
  runner.launch = (argv, gated, detach, tty, passFds) => (calls.push(`passFds ${JSON.stringify(passFds)}`), launch(argv, gated, detach, tty));
  const plan: Plan = {
    ...created,
    steps: [
      ...created.steps.slice(0, 2),
      { ...(created.steps[2] as Extract<Step, { kind: 'launch' }>), passFds: { count: 2, at: 10 } },
      { kind: 'exec', argv: ['prlimit', '--pid', '{box}', '--nofile=1:2'], why: 'd' },
      { kind: 'write-file', path: '/proc/{box}/oom_score_adj', content: '-500', why: 'e' },
    ],
  };
  let seen: string[] = [];
  await executePlan(plan, runner, { onCreated: () => void (seen = [...calls]) });
  assert.equal(calls, ['mkdir /state/{box}', 'mkdir /cg/c1', 'passFds {"count":2,"at":10}', 'launch sh -c echo {box} gated=true tty=true', 'hand over keep=false', 'exec prlimit --pid 4242 --nofile=1:2', 'write /proc/4242/oom_score_adj -500']);
  assert.equal(seen, calls, 'onCreated after the limits');
});

test('oci-created: a failing step after the launch kills the init and rolls everything back', async () => {
  const { runner, calls } = forkerRunner('pid 4242\nready\n');
  runner.writeFile = async (p) => {
    calls.push(`write ${p}`);
    throw new NsboxError(`cannot write ${p}: EACCES`);
  };
  const plan: Plan = { ...created, steps: [...created.steps, { kind: 'write-file', path: '/proc/{box}/oom_score_adj', content: '-500', why: 'e' }] };
  try {
    await executePlan(plan, runner, { onCreated: () => assert.unreachable('failed: no onCreated') });
    assert.unreachable();
  } catch (error) {
    assert.match((error as Error).message, /cannot write \/proc\/4242\/oom_score_adj/);
  }
  assert.ok(calls.includes('kill 4242 SIGKILL'), calls.join('\n'));
  assert.equal(calls.slice(-2), ['rmdir /cg/c1', 'remove /state/{box}']);
});

test('oci-created: a throw in onCreated (a failing hook) rolls everything back too', async () => {
  const { runner, calls } = forkerRunner('pid 4242\nready\n');
  try {
    await executePlan(created, runner, { onCreated: () => { throw new NsboxError('createContainer hook failed'); } });
    assert.unreachable();
  } catch (error) {
    assert.match((error as Error).message, /hook failed/);
  }
  assert.ok(calls.includes('kill 4242 SIGKILL'));
  assert.equal(calls.slice(-2), ['rmdir /cg/c1', 'remove /state/{box}']);
});

test.run();
