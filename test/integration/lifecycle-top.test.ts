// Integration (root): `nsbox top BOX [PS_OPTIONS]`, as `docker top`: ps's own options after the box (never taken for
// nsbox's), and exactly the box's processes (the PIDs in its cgroup, checked from the host), none of the host's. And
// `stats --no-stream --format`, as scripts read `docker stats`: Docker's fields, checked against the box's cgroup.

import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nsbox, isRoot, type Result } from '../helpers/nsbox.js';
import { snapshot, assertNoLeaks } from '../helpers/leaks.js';
import { gatedTest } from '../helpers/suite.js';

const skipReason = !isRoot ? 'needs root' : !existsSync('/bin/busybox') ? 'needs /bin/busybox (apt-get install busybox-static)' : undefined;
const test = gatedTest(skipReason);
const base = mkdtempSync(join(tmpdir(), 'nsbox-top-'));
const store = join(base, 'store');
const state = join(base, 'state');
const env = { ...process.env, NSBOX_ROOT: store, NSBOX_STATE: state, NSBOX_IMAGE_NETWORK: 'none' };
const run = (args: string[]): Result => nsbox(args, { env, timeoutMs: 60_000 });

test.before(() => {
  if (skipReason) return;
  const r = run(['image', 'import', '--from-host-busybox', 'busybox']);
  assert.is(r.code, 0, r.stderr);
});

test.after(() => {
  if (!skipReason) run(['rm', '-f', 'tp', 'sf']);
  rmSync(base, { recursive: true, force: true });
});

test('top BOX -o pid,args / -ef / aux: the box\'s processes only, in ps\'s own columns', async () => {
  const before = snapshot({ stateDirs: [state] });
  const r = run(['run', '-d', '--name', 'tp', 'busybox', 'sh', '-c', 'sleep 1001 & exec sleep 1002']);
  assert.is(r.code, 0, r.stderr);
  const [cgroup] = JSON.parse(run(['inspect', '-f', '{{json .Nsbox.Cgroup.dirs}}', 'tp']).stdout) as string[];
  // PID 1's parent is nsbox's reaper (in the box's cgroup, not the box's): top leaves it out, as ps in the box would.
  const pid1 = Number(run(['inspect', '-f', '{{.State.Pid}}', 'tp']).stdout.trim());
  const stat = readFileSync(`/proc/${pid1}/stat`, 'utf8');
  const reaper = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  let boxPids: number[] = [];
  for (let i = 0; i < 50 && boxPids.length < 2; i++) {
    boxPids = readFileSync(join(cgroup!, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number).filter((p) => p !== reaper);
    if (boxPids.length < 2) await new Promise((res) => setTimeout(res, 50));
  }
  const columns = run(['top', 'tp', '-o', 'pid,args']);
  assert.is(columns.code, 0, columns.stderr);
  const [header, ...rows] = columns.stdout.trimEnd().split('\n');
  assert.match(header!, /^\s*PID COMMAND$/, 'ps\'s -o columns, not nsbox\'s');
  assert.equal(rows.map((row) => Number(row.trim().split(/\s+/)[0])).sort(), boxPids.sort(), `the box's PIDs from its cgroup: ${columns.stdout}`);
  assert.equal(rows.map((row) => row.trim().split(/\s+/).slice(1).join(' ')).sort(), ['sleep 1001', 'sleep 1002']);
  const full = run(['top', 'tp', '-ef']);
  assert.is(full.code, 0, full.stderr);
  assert.match(full.stdout, /^UID +PID +PPID .*CMD\n/);
  assert.is(full.stdout.trimEnd().split('\n').length, 3, `header and two rows: ${full.stdout}`);
  const bsd = run(['top', 'tp', 'aux']);
  assert.is(bsd.code, 0, bsd.stderr);
  assert.match(bsd.stdout, /^USER +PID .*COMMAND\n(.*sleep 100[12]\n){2}$/);
  const noPid = run(['top', 'tp', '-o', 'args']);
  assert.equal([noPid.code, noPid.stderr.split('\n')[0]], [125, 'nsbox: cannot list the box\'s processes: ps printed no PID column']);
  const bad = run(['top', 'tp', '-o', 'pid,bogus']);
  assert.is(bad.code, 125);
  assert.match(bad.stderr, /^nsbox: cannot run ps -o pid,bogus: /);
  // A Docker flag nsbox lacks is named, not the operand yargs took as its value ("Not enough non-option arguments").
  const typo = run(['logs', '--details', 'tp']);
  assert.equal([typo.code, typo.stderr], [125, 'nsbox: unknown flag --details for nsbox logs\nnsbox: hint: nsbox logs --help lists its flags\n']);
  assert.is(run(['rm', '-f', 'tp']).code, 0);
  const gone = run(['top', 'tp', '-o', 'pid']);
  assert.equal([gone.code, gone.stderr], [125, 'nsbox: no such box: tp\n']);
  await assertNoLeaks(before, 'top');
});

test('stats --no-stream --format: Docker\'s fields (Name, Container, MemUsage against the limit, PIDs), table and json', async () => {
  const before = snapshot({ stateDirs: [state] });
  const r = run(['run', '-d', '--name', 'sf', '--memory', '64m', 'busybox', 'sh', '-c', 'sleep 1001 & exec sleep 1002']);
  assert.is(r.code, 0, r.stderr);
  const id = r.stdout.trim();
  // Both sleeps running (the background one forks a moment after the start on a busy host).
  for (let i = 0; i < 100 && run(['stats', '--no-stream', '--format', '{{.PIDs}}', 'sf']).stdout !== '2\n'; i++) await new Promise((res) => setTimeout(res, 50));
  const line = run(['stats', '--no-stream', '--format', '{{.Name}} {{.Container}} {{.MemUsage}} {{.PIDs}} {{.CPUPerc}} {{.MemPerc}}', 'sf']);
  assert.is(line.code, 0, line.stderr);
  assert.match(line.stdout, new RegExp(`^sf ${id.slice(0, 12)} [\\d.]+[KMG]?i?B / 64\\.0MiB 2 \\d+\\.\\d\\d% \\d+\\.\\d\\d%\\n$`), line.stdout);
  const table = run(['stats', '--no-stream', '--format', 'table {{.Name}}\t{{.PIDs}}', 'sf']);
  assert.match(table.stdout, /^NAME +PIDS\nsf +2\n$/, table.stdout);
  const json = JSON.parse(run(['stats', '--no-stream', '--format', 'json', 'sf']).stdout) as Record<string, string>;
  assert.equal([json.ID, json.Name, json.PIDs], [id, 'sf', '2']);
  assert.is(run(['rm', '-f', 'sf']).code, 0);
  await assertNoLeaks(before, 'stats --format');
});

test.run();
