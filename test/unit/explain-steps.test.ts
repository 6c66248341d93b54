// `--explain=steps`: the short explain for people, golden-tested beside the full script (fixtures/plans/*.steps.txt;
// UPDATE_GOLDEN=1 rewrites them).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { buildBoxDescription } from '../../src/spec/run-flags.js';
import { buildRunPlan } from '../../src/plan/build-run-plan.js';
import { renderSteps, findPathVars } from '../../src/plan/render-steps.js';
import { renderShell } from '../../src/plan/render-shell.js';
import { rewriteExplainFlag } from '../../src/plan/explain.js';
import { buildImageBoxDescription } from '../../src/spec/image-box-description.js';
import { buildImagePlan, type ImagePlanFacts } from '../../src/plan/build-image-plan.js';
import { describeContainerDir } from '../../src/rootfs/container-dir.js';

const ID = '0123456789abcdef'.repeat(4);

function golden(name: string, text: string): void {
  const path = `fixtures/plans/${name}.steps.txt`;
  if (process.env.UPDATE_GOLDEN || !existsSync(path)) writeFileSync(path, text);
  assert.fixture(text, readFileSync(path, 'utf8'));
}

function hostRootPlan() {
  const spec = { ...buildBoxDescription({ 'mount-proc': true, hostname: 'demo', memory: '64m', 'cgroup-parent': 'nsbox-golden-absent' }, ['ps', 'ax'], { interactive: false, hostEnv: {} }), id: ID };
  return buildRunPlan(spec, 'nsbox run --mount-proc --hostname demo --memory 64m -- ps ax');
}

function imagePlan() {
  const s = buildImageBoxDescription({ rm: true, volume: ['/srv:/data:ro'] }, { source: { kind: 'image', ref: { name: 'busybox', tag: 'latest' } }, storeRoot: '/var/lib/nsbox', config: { Cmd: ['sh'] }, command: ['sh'], interactive: false, hostEnv: {}, devicesCgroup: false });
  const spec = { ...s, box: { ...s.box, id: ID, hostname: ID.slice(0, 12), process: { ...s.box.process, env: { ...s.box.process.env, HOSTNAME: ID.slice(0, 12) } } } };
  const facts: ImagePlanFacts = {
    container: describeContainerDir('/var/lib/nsbox/containers', ID),
    imageLabel: 'busybox:latest',
    record: { schemaVersion: 1, id: ID, created: '2024-01-01T00:00:00.000Z', image: 'busybox:latest', imageId: 'sha256:ff', lowerDirs: ['/var/lib/nsbox/layers/aa/fs'], layers: ['sha256:aa'], config: { Cmd: ['sh'] }, argv: ['sh'] },
    lowerDirs: ['/var/lib/nsbox/layers/aa/fs'],
    initEntries: [{ path: 'data', kind: 'directory', mode: 0o755, uid: 0, gid: 0 }],
    user: { uid: 0, gid: 0, groups: [], home: '/root' },
    resolvConf: 'nameserver 10.0.0.1\n',
    volumeSources: ['/srv'],
    masked: [{ path: '/proc/keys', kind: 'file' }],
    readonly: [{ path: '/proc/sys', kind: 'directory' }],
    toolbox: { loader: 'ld-linux-x86-64.so.2', files: [{ name: 'setpriv', source: '/usr/bin/setpriv' }, { name: 'umount', source: '/usr/bin/umount' }, { name: 'ld-linux-x86-64.so.2', source: '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2' }, { name: 'libc.so.6', source: '/usr/lib/x86_64-linux-gnu/libc.so.6' }], dir: '/var/lib/nsbox/toolbox-sets/0123456789abcdef' },
    console: false,
  };
  return buildImagePlan(spec, facts, 'nsbox run --rm -v /srv:/data:ro busybox sh');
}

test('long paths become variables defined once', () => {
  const vars = findPathVars(`mkdir /var/lib/nsbox/containers/${ID}/upper /run/nsbox/boxes/${ID} /sys/fs/cgroup/memory/nsbox/nsbox-${ID.slice(0, 12)}`);
  assert.equal(vars.map((v) => v.name), ['ROOT', 'BOX', 'STATE', 'CGROUP']);
  assert.is(vars[0]!.value, '/var/lib/nsbox');
  assert.is(vars[3]!.value, `/nsbox/nsbox-${ID.slice(0, 12)}`);
});

test('host-root box: every step numbered with its reason, boilerplate folded, shorter than the full script', () => {
  const plan = hostRootPlan();
  const text = renderSteps(plan);
  const numbered = text.split('\n').filter((l) => /^ ?\d+\. /.test(l));
  assert.is(numbered.length, plan.steps.length, 'one numbered line per plan step');
  for (const step of plan.steps) assert.ok(text.includes(step.why.split('\n')[0]!), `missing the reason: ${step.why}`);
  assert.not.match(text, /ns_ready\(\)|mkfifo|trap cleanup/);
  assert.ok(text.split('\n').length < renderShell(plan).split('\n').length, 'not shorter than the full script');
  golden('host-root-limits', text);
});

test('image box: the init script as its numbered stages, fstabs folded, paths as $BOX and $ROOT', () => {
  const plan = imagePlan();
  const text = renderSteps(plan);
  assert.match(text, /^ {2}BOX=\$ROOT\/containers\/0123/m);
  assert.match(text, /script "init"/);
  assert.match(text, /pivot_root \. \./);
  assert.not.match(text, /\/var\/lib\/nsbox\/containers\//, 'a container path was left long');
  assert.ok(text.split('\n').length * 2 < renderShell(plan).split('\n').length, `${text.split('\n').length} lines is not short`);
  golden('image-busybox', text);
});

test('--explain=steps and --explain=full are rewritten to flags; words of the command are not', () => {
  assert.equal(rewriteExplainFlag(['--explain=steps', '-m', '64m']), ['--explain', '--explain-steps', '-m', '64m']);
  assert.equal(rewriteExplainFlag(['--explain=full']), ['--explain']);
  assert.throws(() => rewriteExplainFlag(['--explain=short']), /--explain=short/);
});

test.run();
