// nsbox attach's client half: frames, detach keys (Docker's syntax and behaviour), and the -dit plan (the relay
// serves the box's socket, the supervisor removes it).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DetachWatcher, encodeFrames, FrameReader, parseDetachKeys, windowSizeFrame } from '../../src/tty/attach-protocol.js';
import { buildBoxDescription } from '../../src/spec/run-flags.js';
import { buildRunPlan } from '../../src/plan/build-run-plan.js';

test('frames: type, 16-bit big-endian length, data; long data split; the reader reassembles split input', () => {
  assert.equal([...encodeFrames('d', Buffer.from('hi'))], [0x64, 0, 2, 0x68, 0x69]);
  assert.equal([...windowSizeFrame(40, 100)], [0x77, 0, 8, 0, 40, 0, 100, 0, 0, 0, 0]);
  const big = encodeFrames('d', Buffer.alloc(70_000, 7));
  const reader = new FrameReader();
  const frames = [...reader.push(big.subarray(0, 5)), ...reader.push(big.subarray(5, 65_540)), ...reader.push(big.subarray(65_540))];
  assert.equal(frames.map((f) => [f.type, f.data.length]), [['d', 65_535], ['d', 4_465]]);
  assert.equal(new FrameReader().push(Buffer.from([0x78, 0, 1, 3])).map((f) => [f.type, f.data[0]]), [['x', 3]]);
});

test('--detach-keys: Docker\'s syntax (ctrl-X, single characters, commas); bad keys are one-line errors', () => {
  assert.equal(parseDetachKeys('ctrl-p,ctrl-q'), [16, 17]);
  assert.equal(parseDetachKeys(''), [16, 17]);
  assert.equal(parseDetachKeys('ctrl-x,x,ctrl-@,ctrl-['), [24, 120, 0, 27]);
  assert.throws(() => parseDetachKeys('ctrl-pp'), /invalid --detach-keys "ctrl-pp": expected keys like ctrl-p,ctrl-q/);
  assert.throws(() => parseDetachKeys('a,,b'), /invalid --detach-keys/);
});

test('detach watcher: the sequence detaches (even split over reads); a broken one sends the held keys on', () => {
  const w = new DetachWatcher([16, 17]);
  assert.equal(w.feed(Buffer.from('ls\r')), { send: Buffer.from('ls\r'), detach: false });
  assert.equal(w.feed(Buffer.from([0x61, 16])), { send: Buffer.from([0x61]), detach: false });
  assert.equal(w.feed(Buffer.from([17])), { send: Buffer.alloc(0), detach: true });
  const broken = new DetachWatcher([16, 17]);
  assert.equal(broken.feed(Buffer.from([16, 0x61, 16, 16, 17])), { send: Buffer.from([16, 0x61, 16]), detach: true });
  assert.equal(new DetachWatcher([16]).feed(Buffer.from([0x61, 16, 0x62])), { send: Buffer.from([0x61]), detach: true });
});

test('run -dit plan: the reaper becomes the relay serving the box\'s socket, the supervisor removes it', () => {
  const spec = { ...buildBoxDescription({ tty: true, detach: true, pid: true }, ['sh'], { interactive: false, hostEnv: {} }), id: '0123456789abcdef'.repeat(4) };
  const plan = buildRunPlan(spec, 'nsbox run -dit --pid sh', { detach: { log: '/s/b/log', exitFile: '/s/b/exit', attachSocket: '/s/b/attach.sock' } });
  const script = (name: string) => plan.scripts.find((s) => s.name === name)?.text ?? '';
  assert.match(script('reaper'), /exec perl -e "\$relay" 'nsbox-tty 0123456789ab' \/dev\/ptmx \/s\/b\/attach\.sock 1 -- /);
  assert.match(script('supervisor'), /\nrm -f -- \/s\/b\/attach\.sock .*\nwait "\$writer"[^\n]*\nexec >>\/s\/b\/log 2>&1[^\n]*\necho "\$status" >&4/);
  assert.ok(plan.scripts.some((s) => s.name === 'relay'), 'the relay script is in the plan');
  const launch = plan.steps.find((s) => s.kind === 'launch')!; // after the log writer's fifo
  assert.ok(launch.kind === 'launch' && launch.detach !== undefined && launch.tty === undefined, 'detached, no caller terminal');
  // without -t: the plain detached reaper, no socket
  const plain = buildRunPlan({ ...spec, process: { ...spec.process, tty: false } }, 'nsbox run -d --pid sh', { detach: { log: '/s/b/log', exitFile: '/s/b/exit', attachSocket: '/s/b/attach.sock' } });
  assert.not.match(plain.scripts.map((s) => s.text).join('\n'), /attach\.sock|perl/);
});

test.run();
