// Integration (root): the processes nsbox leaves running for a box read as what they are, seen from the host. A
// detached box's supervisor, reaper and --init reaper show a short title naming nsbox (`ps -o args`), never their
// script text; `lsns -p` prints no script; the scripts, passed in the environment, never reach the box's command.
// The image box's --dry-run script passes them the same way and still runs under sh, newlines and all.

import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { nsbox, isRoot } from '../helpers/nsbox.js';
import { snapshot, assertNoLeaks, removeCgroupParents } from '../helpers/leaks.js';
import { gatedTest } from '../helpers/suite.js';

const skip = !isRoot ? 'needs root' : !existsSync('/bin/busybox') ? 'needs /bin/busybox (busybox-static)' : undefined;
const test = gatedTest(skip);
const base = mkdtempSync(join(tmpdir(), 'nsbox-titles-'));
const STATE = join(base, 'state');
const PARENT = `./titles-${process.pid}`;
const ENV = { ...process.env, NSBOX_ROOT: join(base, 'store'), NSBOX_STATE: STATE, NSBOX_CGROUP_PARENT: PARENT, NSBOX_IMAGE_NETWORK: 'none' };
const OWN = { stateDirs: [STATE], cgroupParents: [PARENT] };
const cli = (args: readonly string[]) => nsbox(args, { env: ENV, timeoutMs: 60_000 });
/** Every variable a script travels in (src/plan/script-env.ts, the --init reaper's). */
const SCRIPT_VARS = /^NSBOX_(SUPERVISOR|REAPER|INIT|RELAY|BOX|INIT_REAPER)=/m;

const args = (pid: number): string => {
  const r = spawnSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '';
};

/** The supervisor and every process in the box's cgroup (read from PID 1's /proc/<pid>/cgroup, v1 or v2). */
function boxProcesses(id: string): { supervisor: number; inCgroup: number[]; init: number } {
  const record = JSON.parse(readFileSync(join(STATE, 'boxes', id, 'state.json'), 'utf8'));
  const init = record.init.pid as number;
  const lines = readFileSync(`/proc/${init}/cgroup`, 'utf8').trim().split('\n');
  const pids = lines.find((l) => /^\d+:pids:/.test(l)) ?? lines.find((l) => l.startsWith('0::'))!;
  const [, controller, path] = /^\d+:([^:]*):(.*)$/.exec(pids)!;
  const dir = controller ? `/sys/fs/cgroup/${controller}${path}` : `/sys/fs/cgroup${path}`;
  const inCgroup = readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  return { supervisor: record.supervisor.pid, inCgroup, init };
}

test.before(() => {
  const r = cli(['image', 'import', '--from-host-busybox', 'busybox']);
  assert.is(r.code, 0, r.stderr);
});

test.after(() => {
  removeCgroupParents([PARENT]);
  rmSync(base, { recursive: true, force: true });
});

test('detached boxes: supervisor, reaper and --init reaper titled nsbox-*, short; lsns prints no script; no script in the command\'s environment', () => {
  const before = snapshot(OWN);
  const boxes: [string, string[]][] = [
    ['image box', ['run', '-d', 'busybox', 'sleep', '1000']],
    ['image box --init', ['run', '-d', '--init', 'busybox', 'sleep', '1000']],
    ['host-root box --pid', ['run', '-d', '--pid', '--', 'sleep', '1000']],
  ];
  for (const [what, argv] of boxes) {
    const r = cli(argv);
    assert.is(r.code, 0, `${what}: ${r.stderr}`);
    const id = r.stdout.trim();
    // -d returns once PID 1 runs; with --init the command is its child a moment later.
    let seen = boxProcesses(id);
    for (let i = 0; i < 100 && !seen.inCgroup.some((p) => args(p) === 'sleep 1000'); i++) {
      execFileSync('sleep', ['0.05']);
      seen = boxProcesses(id);
    }
    const { supervisor, inCgroup, init } = seen;
    // With --init PID 1 is the reaper and the command its child; the command itself is `sleep 1000`.
    const all = [supervisor, ...inCgroup];
    const titles = all.map((p) => [p, args(p)] as const);
    assert.ok(titles.length >= 3, `${what}: supervisor, reaper and command: ${JSON.stringify(titles)}`);
    for (const [pid, title] of titles) {
      assert.ok(title.length > 0 && title.length < 200, `${what}: ${pid}'s title is short (${title.length}): ${title.slice(0, 300)}`);
      assert.not.match(title, /\n|# |step\(\)/, `${what}: no script text in ${pid}'s title`);
      if (title !== 'sleep 1000') assert.match(title, /nsbox-(supervisor|reaper|init)\b/, `${what}: ${pid} is named: ${title}`);
    }
    assert.match(args(supervisor), new RegExp(`nsbox-supervisor ${id.slice(0, 12)}$`), `${what}: the supervisor names the box`);
    assert.ok(titles.some(([, t]) => t.includes(`nsbox-reaper ${id.slice(0, 12)}`)), `${what}: the reaper names the box: ${JSON.stringify(titles)}`);
    if (what.includes('--init')) assert.match(args(init), /-c eval "\$NSBOX_INIT_REAPER" nsbox-init sleep 1000$/, `${what}: PID 1 is the --init reaper`);
    const lsns = execFileSync('lsns', ['-p', String(init)], { encoding: 'utf8' });
    assert.not.match(lsns, /Parent of the box|step\(\)|NSBOX_EOF|unset NSBOX/, `${what}: lsns shows no script:\n${lsns}`);
    assert.ok(lsns.trim().split('\n').length <= 9, `${what}: one line per namespace:\n${lsns}`);
    const command = inCgroup.find((p) => args(p) === 'sleep 1000')!;
    assert.ok(command !== undefined, `${what}: the command runs`);
    assert.not.match(readFileSync(`/proc/${command}/environ`, 'utf8').replace(/\0/g, '\n'), SCRIPT_VARS, `${what}: the command's environment holds no script`);
  }
  // Host-root boxes inherit the caller's environment: still no script in it, also after the shell's own children.
  const env = cli(['run', '--rm', '--pid', '--', 'sh', '-c', 'env; sh -c env']);
  assert.is(env.code, 0, env.stderr);
  assert.not.match(env.stdout, SCRIPT_VARS, `host-root run: ${env.stdout}`);
  assert.match(env.stdout, /^NSBOX_STATE=/m, 'the caller\'s own variables do pass (host-root boxes inherit them)');
  const image = cli(['run', '--rm', '--init', 'busybox', 'sh', '-c', 'env; sh -c env']);
  assert.is(image.code, 0, image.stderr);
  assert.match(image.stdout, /^HOSTNAME=/m);
  assert.not.match(image.stdout, SCRIPT_VARS, `image run --init: ${image.stdout}`);
  assert.is(cli(['rm', '-f', ...cli(['ps', '-a', '-q']).stdout.split('\n').filter(Boolean)]).code, 0);
  return assertNoLeaks(before, 'process titles');
});

test('image box: the --dry-run script (a newline and a "NSBOX_EOF" line in the command and in -e) runs under sh as nsbox runs it, and leaves nothing', () => {
  const before = snapshot(OWN);
  const containers = () => readdirSync(join(base, 'store', 'containers')).sort();
  const dirsBefore = containers();
  const flags = ['--rm', '-e', 'X=a\nNSBOX_EOF\nb', 'busybox', 'sh', '-c', 'echo "one"\necho "two:$X"; env | grep -E "^NSBOX_(SUPERVISOR|REAPER|INIT|RELAY|BOX)=" || echo no-nsbox-vars'];
  const script = cli(['run', '--dry-run', ...flags]);
  assert.is(script.code, 0, script.stderr);
  assert.match(script.stdout, /^env -i PATH=\S+ NSBOX_REAPER="\$reaper" NSBOX_INIT="\$init" /m, 'the scripts are passed in the environment (and nothing else but PATH)');
  assert.equal(containers(), dirsBefore, '--dry-run creates nothing');
  const viaSh = spawnSync('sh', ['-s'], { input: script.stdout, encoding: 'utf8', env: ENV, timeout: 60_000 });
  assert.is(viaSh.status, 0, viaSh.stderr);
  assert.is(viaSh.stdout, 'one\ntwo:a\nNSBOX_EOF\nb\nno-nsbox-vars\n');
  assert.is(cli(['run', ...flags]).stdout, viaSh.stdout, 'nsbox runs the same box');
  assert.equal(containers(), dirsBefore, 'the script removes its container directory (--rm)');
  return assertNoLeaks(before, 'image --dry-run under sh');
});

/** PIDs on the host whose argv is exactly `argv`. */
function pidsRunning(argv: readonly string[]): number[] {
  const want = `${argv.join('\0')}\0`;
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8') === want;
    } catch {
      return false;
    }
  });
}

test('detached boxes: the --dry-run script runs under sh, leaves the box running in its own namespaces, and nsbox rm -f removes it', () => {
  const before = snapshot(OWN);
  const cases: [string, string[], string[], string[]][] = [
    ['host-root -d --pid', ['run', '-d', '--pid', '--dry-run', '--', 'sleep', '1001'], ['sleep', '1001'], ['pid']],
    ['image -d', ['run', '-d', '--dry-run', 'busybox', 'sleep', '1002'], ['sleep', '1002'], ['pid', 'mnt', 'uts', 'ipc', 'net']],
  ];
  for (const [what, argv, command, isolated] of cases) {
    const script = cli(argv);
    assert.is(script.code, 0, `${what}: ${script.stderr}`);
    const boxesBefore = existsSync(join(STATE, 'boxes')) ? readdirSync(join(STATE, 'boxes')) : [];
    // The old script waited on the supervisor (which never ends) and took a zombie for a live box: it hung here.
    const viaSh = spawnSync('sh', ['-s'], { input: script.stdout, encoding: 'utf8', env: ENV, timeout: 30_000 });
    assert.is(viaSh.error, undefined, `${what}: the script ended (${viaSh.error?.message}): ${viaSh.stderr}`);
    assert.is(viaSh.status, 0, `${what}: ${viaSh.stderr}`);
    const made = readdirSync(join(STATE, 'boxes')).filter((d) => !boxesBefore.includes(d));
    assert.is(made.length, 1, `${what}: the script makes the box's state directory, as nsbox does: ${made}`);
    let pids = pidsRunning(command);
    for (let i = 0; i < 100 && pids.length === 0; i++) {
      execFileSync('sleep', ['0.05']);
      pids = pidsRunning(command);
    }
    assert.is(pids.length, 1, `${what}: the box's command runs after the script exits: ${pids}`);
    for (const ns of isolated) {
      assert.is.not(execFileSync('readlink', [`/proc/${pids[0]}/ns/${ns}`], { encoding: 'utf8' }), execFileSync('readlink', [`/proc/self/ns/${ns}`], { encoding: 'utf8' }), `${what}: ${ns} namespace is the box's own`);
    }
    const rm = cli(['rm', '-f', made[0]!.slice(0, 12)]);
    assert.is(rm.code, 0, `${what}: rm -f: ${rm.stderr}`);
    assert.equal(pidsRunning(command), [], `${what}: rm -f ended the box`);
    assert.not.ok(existsSync(join(STATE, 'boxes', made[0]!)), `${what}: rm -f removed its state directory`);
  }
  return assertNoLeaks(before, 'detached --dry-run scripts under sh');
});

test.run();
