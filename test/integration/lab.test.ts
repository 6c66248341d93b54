// `nsbox lab`: every step run end to end as root proves its effect from the host and leaves nothing behind;
// `nsbox lab check` grades what a student built by hand with the stock tools, and says what is missing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { nsbox, isRoot } from '../helpers/nsbox.js';
import { snapshot, assertNoLeaks } from '../helpers/leaks.js';

interface LabJson {
  ok: boolean;
  steps: { id: string; ok: boolean; command: string; plan: string[]; observations: { what: string; observed: string; ok: boolean }[]; error?: string }[];
}

const started: ChildProcess[] = [];
test.after.each(() => {
  for (const child of started.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** A process the "student" starts by hand; resolves once `ready` appears on its stdout. */
function byHand(argv: string[]): Promise<number> {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  started.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready')) resolve(child.pid!);
    });
    child.on('exit', (code) => reject(new Error(`${argv.join(' ')} exited ${code} before it was ready`)));
  });
}

function check(step: string, pid: number) {
  const r = nsbox(['lab', 'check', step, String(pid), '--json']);
  assert.ok(r.stdout.startsWith('{'), `lab check printed no JSON: ${r.stderr}`);
  return { code: r.code, report: JSON.parse(r.stdout) as { ok: boolean; observations: { what: string; ok: boolean }[] } };
}

test('lab: all ten steps run for real, each proved from the host, nothing left behind', async () => {
  assert.ok(isRoot, 'the lab needs root');
  const before = snapshot();
  const r = nsbox(['lab', '--json'], { timeoutMs: 300_000 });
  const lab = JSON.parse(r.stdout) as LabJson;
  const failed = lab.steps.filter((s) => !s.ok).map((s) => `${s.id}: ${s.error ?? s.observations.filter((o) => !o.ok).map((o) => `${o.what} (${o.observed})`).join('; ')}`);
  assert.equal(failed, [], failed.join('\n'));
  assert.equal(lab.steps.map((s) => s.id), ['uts', 'ipc', 'pid', 'mount', 'user', 'net', 'cgroup', 'pivot', 'overlay', 'exec']);
  for (const s of lab.steps) {
    assert.ok(s.observations.length >= 2, `${s.id} proved too little`);
    assert.ok(s.plan.length > 0, `${s.id} showed no plan lines`);
    assert.match(s.command, /^nsbox run -d --name lab-/);
  }
  assert.is(r.code, 0);
  await assertNoLeaks(before, 'nsbox lab');
});

test('lab check uts: a hand-made uts namespace with its own name passes; an ipc-only one is told what is missing', async () => {
  const good = await byHand(['unshare', '--uts', 'sh', '-c', 'hostname lab-by-hand && echo ready && exec sleep 60']);
  const ok = check('uts', good);
  assert.is(ok.code, 0, JSON.stringify(ok.report));
  assert.ok(ok.report.ok);
  const wrong = await byHand(['unshare', '--ipc', 'sh', '-c', 'echo ready && exec sleep 60']);
  const bad = check('uts', wrong);
  assert.is(bad.code, 1);
  assert.ok(bad.report.observations.some((o) => !o.ok && o.what === 'the uts namespace is still the host\'s'), JSON.stringify(bad.report));
  const human = nsbox(['lab', 'check', 'uts', String(wrong)]);
  assert.match(human.stdout, /uts: not yet: the uts namespace is still the host's/);
});

test('lab check net: lo must be up, and be the only link', async () => {
  const down = await byHand(['unshare', '--net', 'sh', '-c', 'echo ready && exec sleep 60']);
  const r = check('net', down);
  assert.is(r.code, 1);
  assert.equal(r.report.observations.filter((o) => !o.ok).map((o) => o.what), ['lo is up']);
  const up = await byHand(['unshare', '--net', 'sh', '-c', 'ip link set lo up && echo ready && exec sleep 60']);
  assert.is(check('net', up).code, 0);
});

test('lab check user: an identity map is not a container user; a map to 100000 is', async () => {
  const identity = await byHand(['unshare', '--user', '--map-root-user', 'sh', '-c', 'echo ready && exec sleep 60']);
  // --map-root-user maps root inside to root outside (we are root): the host still sees uid 0.
  const r = check('user', identity);
  assert.is(r.code, 1);
  assert.ok(r.report.observations.some((o) => !o.ok && o.what === 'the process is not root on the host'));
});

test('lab check pid: PID 1 of its own pid namespace with its own /proc', async () => {
  const pid = await byHand(['unshare', '--pid', '--fork', '--mount-proc', 'sh', '-c', 'echo ready && exec sleep 60']);
  // The hand-made PID 1 is unshare's child.
  const children = (await import('node:fs')).readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
  assert.is(children.length, 1, 'unshare --fork has no child');
  assert.is(check('pid', children[0]!).code, 0);
  const no = check('pid', pid); // unshare itself stays in the host's pid namespace
  assert.is(no.code, 1);
});

test('lab task and list: the exercise text and the steps', () => {
  const task = nsbox(['lab', 'task', 'uts']);
  assert.is(task.code, 0);
  assert.match(task.stdout, /nsbox lab check uts PID/);
  const list = nsbox(['lab', 'list', '--json']);
  assert.is(JSON.parse(list.stdout).length, 10);
  const bad = nsbox(['lab', 'nosuchstep']);
  assert.is(bad.code, 125);
  assert.match(bad.stderr, /unknown lab step "nosuchstep"/);
});

test.run();
