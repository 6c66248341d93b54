// run --ulimit NAME=SOFT[:HARD]: parsing as Docker does (names, -1, last one wins), every bad input on one line, and
// the plan step (prlimit on the box's first process from the host, before its gate opens) for host and image boxes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NsboxError } from '../../src/errors.js';
import { parseUlimits } from '../../src/spec/ulimit-flag.js';
import { buildBoxDescription } from '../../src/spec/run-flags.js';
import { buildRunPlan } from '../../src/plan/build-run-plan.js';
import { buildImageBoxDescription } from '../../src/spec/image-box-description.js';
import { buildImagePlan, type ImagePlanFacts } from '../../src/plan/build-image-plan.js';
import { describeContainerDir } from '../../src/rootfs/container-dir.js';
import { renderShell } from '../../src/plan/render-shell.js';
import { renderSteps } from '../../src/plan/render-steps.js';
import { buildHostExecArgv, buildImageExecArgv } from '../../src/lifecycle/exec-argv.js';
import { buildNewRecord } from '../../src/lifecycle/new-record.js';

function refused(values: string[], pattern: RegExp): void {
  try {
    parseUlimits(values);
  } catch (error) {
    assert.instance(error, NsboxError);
    assert.is((error as NsboxError).exitCode, 125);
    assert.match((error as Error).message, /^invalid --ulimit /);
    assert.match((error as Error).message, pattern);
    assert.not.match((error as Error).message, /\n/);
    return;
  }
  assert.unreachable(`expected --ulimit ${values.join(' ')} to be refused (${pattern})`);
}

test('NAME=SOFT:HARD, NAME=N (both), -1 and unlimited are RLIM_INFINITY', () => {
  assert.equal(parseUlimits(['nofile=1024:2048']), [{ name: 'nofile', soft: 1024, hard: 2048 }]);
  assert.equal(parseUlimits(['nproc=64']), [{ name: 'nproc', soft: 64, hard: 64 }]);
  assert.equal(parseUlimits(['core=-1']), [{ name: 'core', soft: 'unlimited', hard: 'unlimited' }]);
  assert.equal(parseUlimits(['memlock=0:-1']), [{ name: 'memlock', soft: 0, hard: 'unlimited' }]);
  assert.equal(parseUlimits(['stack=unlimited']), [{ name: 'stack', soft: 'unlimited', hard: 'unlimited' }]);
  assert.equal(parseUlimits([]), []);
});

test('every Docker name; a name given again replaces the earlier one (Docker keeps the last)', () => {
  for (const name of ['core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack']) {
    assert.equal(parseUlimits([`${name}=5`]), [{ name, soft: 5, hard: 5 }], name);
  }
  assert.equal(parseUlimits(['nofile=10', 'cpu=3', 'nofile=20:30']), [{ name: 'cpu', soft: 3, hard: 3 }, { name: 'nofile', soft: 20, hard: 30 }]);
});

test('refused on one line: unknown name, soft above hard, bad numbers, bad shape', () => {
  refused(['nofiles=10'], /unknown limit "nofiles"/);
  refused(['as=10'], /unknown limit "as"/); // not one of Docker's names
  refused(['NOFILE=10'], /unknown limit/);
  refused(['nofile=2048:1024'], /soft limit is above the hard limit/);
  refused(['nofile=-1:1024'], /soft limit is above the hard limit/);
  refused(['nofile=ten'], /not a limit: "ten"/);
  refused(['nofile=10:'], /not a limit: ""/);
  refused(['nofile='], /not a limit/);
  refused(['nofile=-2'], /not a limit: "-2"/);
  refused(['nofile=1.5'], /not a limit/);
  refused(['nofile=1:2:3'], /not a limit: "2:3"/);
  refused(['nofile=99999999999999999999'], /not a limit/);
  refused(['nofile'], /expected NAME=SOFT\[:HARD\]/);
  refused(['nofile=1', 'bogus=1'], /"bogus=1"/);
});

test('host box: the flag reaches the description, refused before anything (no box id, no lease)', () => {
  const s = buildBoxDescription({ ulimit: ['nofile=100:200', 'core=0'] }, ['true'], { interactive: false, hostEnv: {} });
  assert.equal(s.process.rlimits, [{ name: 'nofile', soft: 100, hard: 200 }, { name: 'core', soft: 0, hard: 0 }]);
  assert.is(buildBoxDescription({}, ['true'], { interactive: false, hostEnv: {} }).process.rlimits, undefined);
  assert.throws(() => buildBoxDescription({ ulimit: ['nofile=2:1'], net: true, network: 'bridge' }, ['true'], { interactive: false, hostEnv: {} }), /invalid --ulimit "nofile=2:1"/);
});

test('host box plan: prlimit on {box} after the namespace check, before the gate opens; --explain shows it', () => {
  for (const args of [{}, { pid: true }, { user: true, pid: true, mount: true }, { 'uid-map': ['0:100000:65536'] }]) {
    const s = buildBoxDescription({ ...args, ulimit: ['nofile=100:200', 'nproc=-1'] }, ['true'], { interactive: false, hostEnv: {} });
    const plan = buildRunPlan(s, 'nsbox run --ulimit nofile=100:200 -- true');
    const at = plan.steps.findIndex((st) => st.kind === 'exec' && st.argv[0] === 'prlimit');
    const step = plan.steps[at]!;
    assert.ok(step.kind === 'exec');
    if (step.kind === 'exec') assert.equal(step.argv, ['prlimit', '--pid', '{box}', '--nofile=100:200', '--nproc=unlimited:unlimited']);
    const awaited = plan.steps.findIndex((st) => st.kind === 'await-namespaces' && st.pid === 'box');
    assert.ok(awaited >= 0 && awaited < at, 'after the box exists');
    assert.ok(at < plan.steps.findIndex((st) => st.kind === 'release'), 'before its gate opens');
    assert.match(renderShell(plan), /# --ulimit: the resource limits[^\n]*\nprlimit --pid "\$\{box\}" --nofile=100:200 --nproc=unlimited:unlimited/);
    assert.match(renderSteps(plan), /prlimit --pid/);
  }
  const plain = buildRunPlan(buildBoxDescription({ pid: true }, ['true'], { interactive: false, hostEnv: {} }), 'nsbox run --pid -- true');
  assert.not.ok(plain.steps.some((st) => st.kind === 'exec' && st.argv[0] === 'prlimit'), 'no --ulimit: no step');
});

const ID = '0123456789abcdef'.repeat(4);
function imageFacts(): ImagePlanFacts {
  return {
    container: describeContainerDir('/var/lib/nsbox/containers', ID),
    imageLabel: 'busybox:latest',
    record: { schemaVersion: 1, id: ID, created: '2024-01-01T00:00:00.000Z', image: 'busybox:latest', imageId: 'sha256:ff', lowerDirs: ['/var/lib/nsbox/layers/aa/fs'], layers: ['sha256:aa'], config: { Cmd: ['sh'] }, argv: ['sh'] },
    lowerDirs: ['/var/lib/nsbox/layers/aa/fs'],
    initEntries: [],
    user: { uid: 0, gid: 0, groups: [], home: '/root' },
    resolvConf: 'nameserver 10.0.0.1\n',
    volumeSources: [],
    masked: [],
    readonly: [],
    toolbox: { loader: 'ld-linux-x86-64.so.2', files: [{ name: 'setpriv', source: '/usr/bin/setpriv' }], seccomp: undefined },
    seccomp: undefined,
    console: false,
  } as unknown as ImagePlanFacts;
}

test('image box plan: the same step, before the gate; bad values refused by the image flags too', () => {
  const source = { kind: 'image' as const, ref: { name: 'busybox', tag: 'latest' } };
  const describe = (ulimit: string[]) => buildImageBoxDescription({ ulimit }, { source, storeRoot: '/var/lib/nsbox', config: { Cmd: ['sh'] }, command: [], interactive: false, hostEnv: {}, devicesCgroup: false });
  const s = describe(['nofile=64']);
  assert.equal(s.box.process.rlimits, [{ name: 'nofile', soft: 64, hard: 64 }]);
  const plan = buildImagePlan(s, imageFacts(), 'nsbox run --ulimit nofile=64 busybox');
  const at = plan.steps.findIndex((st) => st.kind === 'exec' && st.argv[0] === 'prlimit');
  const step = plan.steps[at]!;
  assert.ok(step.kind === 'exec');
  if (step.kind === 'exec') assert.equal(step.argv, ['prlimit', '--pid', '{box}', '--nofile=64:64']);
  assert.ok(plan.steps.findIndex((st) => st.kind === 'await-namespaces') < at && at < plan.steps.findIndex((st) => st.kind === 'release'));
  assert.throws(() => describe(['fsize=x']), /invalid --ulimit "fsize=x": not a limit/);
});

test('exec into a box with --ulimit: host prlimit sets them on itself first, then the usual way in (host-root and image)', () => {
  const FULL = '000001ffffffffff';
  const facts = { pid: 42, capBnd: FULL, ownCapBnd: FULL, noNewPrivs: false };
  const rlimits = [{ name: 'nofile' as const, soft: 10, hard: 'unlimited' as const }];
  const host = buildHostExecArgv(facts, { command: ['sh'], workdir: undefined, runAs: undefined, cgroupJoinFiles: [], rlimits });
  assert.equal(host.slice(0, 7), ['prlimit', '--nofile=10:unlimited', '--', 'setpriv', '--pdeathsig', 'KILL', '--']);
  const plainHost = buildHostExecArgv(facts, { command: ['sh'], workdir: undefined, runAs: undefined, cgroupJoinFiles: [] });
  assert.equal(host.slice(3), plainHost, 'only the prefix differs');
  const image = { command: ['sh'], workdir: '/', runAs: undefined, cgroupJoinFiles: [], toolbox: { loader: 'ld-linux-x86-64.so.2', files: [] }, env: { PATH: '/bin' }, tools: { nsenter: '/usr/bin/nsenter', unshare: '/usr/bin/unshare', mount: '/usr/bin/mount', sh: '/bin/sh' } };
  const withLimits = buildImageExecArgv(facts, { ...image, rlimits });
  assert.equal(withLimits.slice(3), buildImageExecArgv(facts, image));
  assert.equal(withLimits.slice(0, 3), ['prlimit', '--nofile=10:unlimited', '--']);
  assert.equal(buildImageExecArgv(facts, { ...image, rlimits: [] }), buildImageExecArgv(facts, image), 'none: no prefix');
});

test('the record keeps the limits (exec and inspect read them); none: no field', () => {
  const s = buildBoxDescription({ ulimit: ['core=0'] }, ['true'], { interactive: false, hostEnv: {} });
  const plan = buildRunPlan(s, 't');
  assert.equal(buildNewRecord(s, plan, { name: undefined, detached: true, autoRemove: false }).process.rlimits, [{ name: 'core', soft: 0, hard: 0 }]);
  const none = buildBoxDescription({}, ['true'], { interactive: false, hostEnv: {} });
  assert.not.ok('rlimits' in buildNewRecord(none, buildRunPlan(none, 't'), { name: undefined, detached: true, autoRemove: false }).process);
});

test.run();
