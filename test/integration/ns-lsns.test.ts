// Integration: namespaces made by unshare(1) directly; `nsbox ns --json` must agree with readlink, lsns -J and the flags.

import * as assert from 'uvu/assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NAMESPACES, namespaceFromLsnsType, type NamespaceName } from '../../src/host/namespaces.js';
import { gatedTest } from '../helpers/suite.js';

const NSBOX = fileURLToPath(new URL('../../../bin/nsbox', import.meta.url));
const skipReason =
  process.getuid?.() !== 0 ? 'needs root' : spawnSync('lsns', ['--version']).status !== 0 ? 'needs lsns (util-linux)' : undefined;
const test = gatedTest(skipReason);

interface Box {
  readonly launcher: ChildProcess;
  /** The process in the new namespaces: unshare itself after exec, or its child with --fork. */
  pid: number;
}

const started: Box[] = [];

function inode(pid: number | 'self', file: string): number {
  return Number(/\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/ns/${file}`))![1]);
}

async function waitFor<T>(what: string, probe: () => T | undefined, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const value = probe();
      if (value !== undefined) return value;
    } catch {
      // not there yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Starts `unshare FLAGS -- sleep 30` and resolves once sleep runs in the new namespaces. */
async function startUnshare(flags: readonly string[]): Promise<Box> {
  const fork = flags.includes('--fork');
  const launcher = spawn('unshare', [...flags, '--', 'sleep', '30'], { stdio: 'ignore' });
  const box: Box = { launcher, pid: -1 };
  started.push(box);
  const launcherPid = launcher.pid!;
  const pid = await waitFor('sleep to start', () => {
    const target = fork ? Number(readFileSync(`/proc/${launcherPid}/task/${launcherPid}/children`, 'utf8').trim().split(' ')[0]) : launcherPid;
    return target > 0 && readFileSync(`/proc/${target}/comm`, 'utf8').trim() === 'sleep' ? target : undefined;
  });
  box.pid = pid;
  return box;
}

async function stop(box: Box): Promise<void> {
  // Only the PIDs this test started; never 0 or -1 (process groups, every process).
  for (const pid of [box.pid, box.launcher.pid ?? -1].filter((p) => p > 1)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (box.launcher.exitCode === null && box.launcher.signalCode === null) await new Promise((r) => box.launcher.once('exit', r));
  if (box.pid > 1) await waitFor('the box to be gone', () => (existsSync(`/proc/${box.pid}/ns`) ? undefined : true));
}

function nsboxJson(...args: string[]): any {
  const result = spawnSync(NSBOX, ['ns', ...args, '--json'], { encoding: 'utf8' });
  assert.is(result.status, 0, `nsbox ns ${args.join(' ')} failed: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

function lsnsInodes(pid: number): Map<NamespaceName, number> {
  const result = spawnSync('lsns', ['-J', '-p', String(pid)], { encoding: 'utf8' });
  assert.is(result.status, 0, result.stderr);
  const map = new Map<NamespaceName, number>();
  for (const entry of JSON.parse(result.stdout).namespaces as { ns: number | string; type: string }[]) {
    const name = namespaceFromLsnsType(entry.type);
    if (name) map.set(name, Number(entry.ns));
  }
  return map;
}

const CASES: readonly { flags: readonly string[]; isolated: readonly NamespaceName[] }[] = [
  { flags: [], isolated: [] },
  { flags: ['--uts', '--ipc', '--net'], isolated: ['uts', 'ipc', 'net'] },
  { flags: ['--mount'], isolated: ['mount'] },
  { flags: ['--cgroup'], isolated: ['cgroup'] },
  { flags: ['--user', '--map-root-user'], isolated: ['user'] },
  { flags: ['--pid', '--fork', '--kill-child'], isolated: ['pid'] },
  { flags: ['--time', '--fork', '--kill-child'], isolated: ['time'] },
];

if (skipReason) {
  test('every ns-lsns test', () => {}); // registered as a counted skip, with its reason
} else {
  test.after.each(async () => {
    for (const box of started.splice(0)) await stop(box);
  });

  for (const { flags, isolated } of CASES) {
    test(`unshare ${flags.join(' ') || '(no flags)'}: isolated exactly ${isolated.join(', ') || 'nothing'}, as lsns and readlink say`, async () => {
      const box = await startUnshare(flags);
      const report = nsboxJson(String(box.pid), String(process.pid));
      assert.is(report.pid, box.pid);
      assert.is(report.other, process.pid);
      const lsns = lsnsInodes(box.pid);
      for (const ns of NAMESPACES) {
        const row = report.namespaces.find((r: any) => r.namespace === ns.name);
        assert.is(row.inode, inode(box.pid, ns.procFile), `${ns.name}: inode vs readlink`);
        assert.is(row.otherInode, inode('self', ns.procFile), `${ns.name}: other inode vs readlink`);
        assert.is(row.inode, lsns.get(ns.name), `${ns.name}: inode vs lsns -J`);
        assert.is(row.state, isolated.includes(ns.name) ? 'isolated' : 'shared', `${ns.name}: state`);
        assert.is(row.isolated, isolated.includes(ns.name));
      }
      const uidMap = readFileSync(`/proc/${box.pid}/uid_map`, 'utf8').trim().split(/\s+/).map(Number);
      assert.equal(report.process.uidMap.map((e: any) => [e.inside, e.outside, e.count]).flat(), uidMap);
      assert.is(report.process.inUserNamespace, isolated.includes('user'));
    });
  }

  test('without OTHER: compares with PID 1, or with nsbox itself when PID 1 cannot be read', async () => {
    const box = await startUnshare(['--uts', '--net']);
    const report = nsboxJson(String(box.pid));
    let pid1Readable = true;
    try {
      inode(1, 'uts');
    } catch {
      pid1Readable = false;
    }
    if (pid1Readable) {
      assert.is(report.other, 1);
      assert.is(report.otherNote, null);
      for (const row of report.namespaces) assert.is(row.otherInode, inode(1, NAMESPACES.find((n) => n.name === row.namespace)!.procFile));
    } else {
      assert.is.not(report.other, 1);
      assert.match(report.otherNote, /PID 1 cannot be read/);
      assert.equal(report.namespaces.filter((r: any) => r.isolated).map((r: any) => r.namespace), ['uts', 'net']);
    }
  });

  test('the table marks the same rows isolated; caps, NoNewPrivs and cgroups come from /proc/PID', async () => {
    const box = await startUnshare(['--ipc']);
    const result = spawnSync(NSBOX, ['ns', String(box.pid), String(process.pid)], { encoding: 'utf8' });
    assert.is(result.status, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`^ipc\\s+${inode(box.pid, 'ipc')}\\s+${inode('self', 'ipc')}\\s+isolated$`, 'm'));
    assert.match(result.stdout, new RegExp(`^uts\\s+${inode(box.pid, 'uts')}\\s+${inode('self', 'uts')}\\s+shared$`, 'm'));
    const status = readFileSync(`/proc/${box.pid}/status`, 'utf8');
    assert.match(result.stdout, new RegExp(`^CapEff\\s+${/CapEff:\s+(\w+)/.exec(status)![1]} `, 'm'));
    assert.match(result.stdout, new RegExp(`^NoNewPrivs\\s+${/NoNewPrivs:\s+(\d)/.exec(status)![1]}$`, 'm'));
    const memoryPath = readFileSync(`/proc/${box.pid}/cgroup`, 'utf8').split('\n').find((l) => l !== '')!.split(':')[2]!;
    assert.ok(result.stdout.includes(memoryPath), 'cgroup path shown');
  });

  test('bad PIDs: one line on stderr, exit 125', () => {
    const gone = spawnSync('true');
    for (const [args, pattern] of [
      [['abc'], /^nsbox: invalid PID "abc"/],
      [['0'], /^nsbox: invalid PID "0"/],
      [[String(gone.pid)], new RegExp(`^nsbox: cannot inspect PID ${gone.pid}: no such process$`)],
      [[String(process.pid), '4194304'], /^nsbox: cannot inspect OTHER_PID 4194304: no such process$/],
      [[], /^nsbox: missing PID/],
    ] as const) {
      const result = spawnSync(NSBOX, ['ns', ...args], { encoding: 'utf8' });
      assert.is(result.status, 125, `nsbox ns ${args.join(' ')}: ${result.stderr}`);
      assert.is(result.stdout, '');
      assert.match(result.stderr.trimEnd(), pattern);
      assert.is(result.stderr.trim().split('\n').length, 1, result.stderr);
    }
  });
}

test.run();
