// nsbox-runtime's light calls in sh (src/runtime/light-calls.sh) over light.env (src/runtime/light-env.ts), without
// root: a live child process stands for the init and temp files for its cgroup files. `state` prints byte for byte
// what Node's printState prints at each status (hostile annotations included), `start` opens the gate, `kill`
// signals; every case Node must answer (no light.env, a flag or signal it does not know) returns to the shim, which
// the tests see as "node" (the shim's next step).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync, existsSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderLightEnv } from '../../src/runtime/light-env.js';
import { printState } from '../../src/runtime/lifecycle.js';
import { statePaths, type RuntimeState } from '../../src/runtime/state.js';
import { identify } from '../../src/state/proc-identity.js';

const LIGHT = fileURLToPath(new URL('../../../src/runtime/light-calls.sh', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'nsbox-light-'));
const root = join(tmp, 'root');
const children: ChildProcess[] = [];
test.after(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

/** The shim's step: source the file, call nsbox_light; "node" on stdout means it returned (the shim runs node next). */
function light(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('sh', ['-c', '. "$0" && nsbox_light "$@"; echo node', LIGHT, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function nodeState(id: string): string {
  let text = '';
  printState(root, id, (t) => (text += t));
  return text;
}

/** A container whose init is a live `sleep` child, with fake cgroup files under tmp. */
function container(id: string, extra: Partial<RuntimeState> = {}): { state: RuntimeState; child: ChildProcess; freezer: string } {
  const child = spawn('sleep', ['1000'], { stdio: 'ignore' });
  children.push(child);
  const init = identify(child.pid!)!;
  const cg = join(tmp, `cg-${id}`);
  mkdirSync(join(cg, 'freezer'), { recursive: true });
  writeFileSync(join(cg, 'freezer', 'freezer.state'), 'THAWED\n');
  const state = {
    ociVersion: '1.0.2', id, bundle: `/b/${id}`, rootfs: `/b/${id}/rootfs`, init, created: '2026-12-01T00:00:00.000Z', annotations: {},
    cgroup: { version: 1, dirs: [{ dir: join(cg, 'freezer'), controllers: ['freezer'] }], created: [join(cg, 'freezer')] },
    namespaces: [], hooks: {}, toolbox: { loader: undefined, files: [] }, seccomp: undefined, apparmor: false, owner: 'root',
    process: { args: ['sleep'], env: [], cwd: '/', user: { uid: 0, gid: 0 }, terminal: false },
    ...extra,
  } as unknown as RuntimeState;
  const paths = statePaths(root, id);
  mkdirSync(paths.dir, { recursive: true });
  writeFileSync(paths.state, JSON.stringify(state));
  const env = renderLightEnv(root, state);
  if (env !== undefined) writeFileSync(paths.light, env);
  return { state, child, freezer: join(cg, 'freezer', 'freezer.state') };
}

const exited = (child: ChildProcess) => new Promise<NodeJS.Signals | null>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(child.signalCode) : child.once('exit', (_c, s) => resolve(s))));

test('state: the same bytes as Node at every status (created, running, paused, stopped), with hostile annotations', async () => {
  const ran = join(tmp, 'ran');
  const annotations = { quote: "it's", dollar: `$(touch ${ran}) \`touch ${ran}\` $HOME`, nl: "a\n'b", back: 'c:\\d', uni: 'é\u0002' };
  const { child, freezer } = container('s1', { annotations } as Partial<RuntimeState>);
  const fifo = statePaths(root, 's1').fifo;
  spawnSync('mkfifo', [fifo]);
  const seen: string[] = [];
  const check = (status: string) => {
    const r = light('--root', root, 'state', 's1');
    assert.is(r.code, 0, r.stderr);
    assert.not.match(r.stdout, /node\n$/, 'answered in sh');
    assert.is(r.stdout, nodeState('s1'), `${status}: as Node prints it`);
    assert.is(JSON.parse(r.stdout).status, status);
    seen.push(status);
  };
  check('created');
  rmSync(fifo);
  check('running');
  writeFileSync(freezer, 'FROZEN\n');
  check('paused');
  writeFileSync(freezer, 'THAWED\n');
  child.kill('SIGKILL');
  await exited(child);
  check('stopped');
  assert.is(JSON.parse(light('--root', root, 'state', 's1').stdout).pid, 0);
  assert.equal(JSON.parse(light('--root', root, 'state', 's1').stdout).annotations, annotations);
  assert.equal(seen, ['created', 'running', 'paused', 'stopped']);
  assert.not.ok(existsSync(ran), 'no annotation ran as a command');
});

test('start: writes the line that opens the gate and removes it; a started container goes to Node', () => {
  container('g1');
  const fifo = statePaths(root, 'g1').fifo;
  spawnSync('mkfifo', [fifo]);
  // The init's end: read-write, as the init holds it.
  const gate = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
  try {
    const r = light('--root', root, 'start', 'g1');
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, '');
    const buf = Buffer.alloc(64);
    const n = readSync(gate, buf);
    assert.is(buf.subarray(0, n).toString(), 'start\n');
  } finally {
    closeSync(gate);
  }
  assert.not.ok(existsSync(fifo), 'the gate is gone: running');
  assert.is(light('--root', root, 'start', 'g1').stdout, 'node\n', 'not created any more: Node says why');
});

test('kill: numbers, names with or without SIG; what dash does not know, and a stopped init, go to Node', async () => {
  for (const [word, signal] of [['USR1', 'SIGUSR1'], ['SIGHUP', 'SIGHUP'], ['15', 'SIGTERM'], [undefined, 'SIGTERM']] as const) {
    const id = `k${signal}${word ?? ''}`;
    const { child } = container(id);
    const r = light('--root', root, 'kill', id, ...(word ? [word] : []));
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, '', `${word}: done in sh`);
    assert.is(await exited(child), signal);
    assert.is(light('--root', root, 'kill', id, 'KILL').stdout, 'node\n', 'stopped: "container not running" comes from Node');
  }
  const { child } = container('k2');
  for (const word of ['usr1', 'RTMIN+1', '64', 'NOPE', '0']) assert.is(light('--root', root, 'kill', 'k2', word).stdout, 'node\n', word);
  assert.is(light('--root', root, 'kill', '--all', 'k2', 'KILL').stdout, 'node\n', '--all: Node lists the cgroup');
  assert.is(child.exitCode ?? child.signalCode, null, 'still alive');
});

test('Node answers: no light.env (hooks), unknown flags and forms, odd ids; delete --force of a missing id is done in sh', () => {
  const hooked = container('h1', { hooks: { poststop: [{ path: '/bin/true' }] } } as unknown as Partial<RuntimeState>);
  assert.not.ok(existsSync(statePaths(root, 'h1').light), 'a poststop hook: no light.env');
  assert.is(light('--root', root, 'state', 'h1').stdout, 'node\n');
  hooked.child.kill('SIGKILL');
  container('n1');
  for (const args of [
    ['--root', root, 'state', 'n1', 'extra'],
    ['--root', root, '--bogus', 'state', 'n1'],
    ['--root', root, '--log-format', 'xml', 'state', 'n1'],
    ['--root', root, 'state', '-n1'],
    ['--root', root, 'state', '../n1'],
    ['--root', root, 'create', 'n1'],
    ['--root', root, 'delete', 'n1'], // running, no --force: Node says "not stopped"
    ['--root', root, 'state', 'missing'],
    ['--root', root, 'delete', 'missing'],
    ['--root'],
  ]) assert.is(light(...args).stdout, 'node\n', args.join(' '));
  for (const args of [['--root', root, 'delete', '--force', 'missing'], [`--root=${root}`, '--log', '/dev/null', '--log-format=json', 'delete', '-f', 'missing']]) {
    const r = light(...args);
    assert.is(r.code, 0);
    assert.is(r.stdout, '', args.join(' '));
  }
  const r = light(`--root=${root}`, '--debug', '--systemd-cgroup', '--log-format', 'json', 'state', 'n1');
  assert.is(JSON.parse(r.stdout).status, 'running', 'global flags in both forms');
});

test('light.env: none when a path would need quoting or a placeholder sits in the container\'s own text; a light_dir not this container\'s goes to Node', () => {
  const spaced = container('p1', { cgroup: { version: 1, dirs: [{ dir: join(tmp, 'a b'), controllers: ['pids'] }], created: [] } } as Partial<RuntimeState>);
  assert.not.ok(existsSync(statePaths(root, 'p1').light));
  spaced.child.kill('SIGKILL');
  const placeholder = container('p2', { annotations: { x: '\u0001status\u0001' } } as Partial<RuntimeState>);
  assert.not.ok(existsSync(statePaths(root, 'p2').light));
  placeholder.child.kill('SIGKILL');
  container('p3');
  const env = statePaths(root, 'p3').light;
  writeFileSync(env, readFileSync(env, 'utf8').replace(/^light_dir=.*$/m, `light_dir=${tmp}`));
  assert.is(light('--root', root, 'state', 'p3').stdout, 'node\n');
});

test('an init whose name holds a newline (its /proc/PID/stat is two lines) goes to Node, never a wrong status', async () => {
  // comm is the script's file name (15 bytes at most): "x\nS) R 1 2 3 4" cut short would fake fields.
  const script = join(tmp, 'x\nS) R 1 2 3 4');
  writeFileSync(script, '#!/bin/sh\nread -r line\n', { mode: 0o755 });
  const { state, child: stand } = container('nl1');
  stand.kill('SIGKILL');
  const child = spawn(script, [], { stdio: ['pipe', 'ignore', 'ignore'] });
  children.push(child);
  await new Promise((r) => setTimeout(r, 100));
  assert.match(readFileSync(`/proc/${child.pid}/stat`, 'utf8'), /^\d+ \(x\n/, 'the name holds the newline');
  const paths = statePaths(root, 'nl1');
  const moved = { ...state, init: identify(child.pid!)! };
  writeFileSync(paths.state, JSON.stringify(moved));
  writeFileSync(paths.light, renderLightEnv(root, moved)!);
  assert.is(JSON.parse(nodeState('nl1')).status, 'running');
  assert.is(light('--root', root, 'state', 'nl1').stdout, 'node\n');
  assert.is(light('--root', root, 'delete', '--force', 'nl1').stdout, 'node\n');
});

test.run();
