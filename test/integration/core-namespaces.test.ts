// nsbox run, checked from the host's side: /proc/<pid>/ns, lsns, mountinfo, ipcs, ip link, uid_map, file owners.
import * as assert from 'uvu/assert';
import { readFileSync, readlinkSync, mkdtempSync, rmSync, statSync, chmodSync, writeFileSync } from 'node:fs';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { nsbox, NSBOX, isRoot, exitOf } from '../helpers/nsbox.js';
import { snapshot, assertNoLeaks, descendants } from '../helpers/leaks.js';
import { NAMESPACES } from '../../src/host/namespaces.js';
import { gatedTest } from '../helpers/suite.js';

const test = gatedTest(isRoot ? undefined : 'needs root (real namespaces)');

if (!isRoot) {
  test('every core integration test', () => {}); // a counted skip, with its reason
  test.run();
} else {
  const hostNs = (file: string) => readlinkSync(`/proc/self/ns/${file}`);

  /** Start `nsbox run FLAGS -- sh -c 'echo ready; read x'`; returns the command's host PID and a stop(). */
  async function startBox(flags: string[]) {
    const child = spawn(NSBOX, ['run', ...flags, '--', 'sh', '-c', 'echo ready; read x || true'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const deadline = Date.now() + 10_000;
    while (!out.includes('ready')) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`box did not start: ${out}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const chain = descendants(child.pid!).map((d) => Number(d.split(':')[0]));
    const commandPid = chain[chain.length - 1]!; // the deepest: the command (sh) itself
    return {
      pid: commandPid,
      async stop() {
        child.stdin!.end();
        return exitOf(child);
      },
    };
  }

  const lsnsOf = (pid: number): Record<string, number> => {
    const json = JSON.parse(execFileSync('lsns', ['-J', '-p', String(pid)], { encoding: 'utf8' })) as { namespaces: Array<{ ns: string | number; type: string }> };
    return Object.fromEntries(json.namespaces.map((n) => [n.type === 'mnt' ? 'mount' : n.type, Number(n.ns)]));
  };

  for (const { name, flag, procFile } of NAMESPACES) {
    test(`${flag}: only the ${name} namespace is new (from /proc and lsns)`, async () => {
      const before = snapshot();
      const box = await startBox([flag]);
      try {
        for (const other of NAMESPACES) {
          const theirs = readlinkSync(`/proc/${box.pid}/ns/${other.procFile}`);
          if (other.name === name) assert.is.not(theirs, hostNs(other.procFile), `${other.name} should be new`);
          else assert.is(theirs, hostNs(other.procFile), `${other.name} should be shared`);
        }
        const lsns = lsnsOf(box.pid);
        const inode = Number(/\[(\d+)\]/.exec(readlinkSync(`/proc/${box.pid}/ns/${procFile}`))![1]);
        assert.is(lsns[name], inode, 'lsns agrees on the inode');
        assert.is.not(lsns[name], lsnsOf(process.pid)[name], 'lsns sees it isolated');
      } finally {
        assert.is((await box.stop()).code, 0);
      }
      await assertNoLeaks(before, flag);
    });
  }

  test('--hostname is seen inside only', () => {
    const host = execFileSync('hostname', { encoding: 'utf8' }).trim();
    const r = nsbox(['run', '--hostname', 'nsbox-test-box', '--', 'hostname']);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout.trim(), 'nsbox-test-box');
    assert.is(execFileSync('hostname', { encoding: 'utf8' }).trim(), host);
  });

  test('--pid --mount-proc: the command is PID 1 and ps lists only the box', () => {
    const r = nsbox(['run', '--pid', '--mount-proc', '--', 'sh', '-c', 'echo $$; ps -e -o pid=,comm=']);
    assert.is(r.code, 0, r.stderr);
    const [self, ...rows] = r.stdout.trim().split('\n').map((l) => l.trim());
    assert.is(self, '1');
    assert.equal(rows, ['1 sh', `${rows[1]!.split(' ')[0]} ps`]);
    assert.is(rows.length, 2);
  });

  test('--ipc: a queue made inside is not listed outside', () => {
    const hostQueues = execFileSync('ipcs', ['-q'], { encoding: 'utf8' });
    const r = nsbox(['run', '--ipc', '--', 'sh', '-c', 'ipcmk -Q && ipcs -q']);
    assert.is(r.code, 0, r.stderr);
    const id = /Message queue id: (\d+)/.exec(r.stdout)?.[1];
    assert.ok(id !== undefined, r.stdout);
    assert.match(r.stdout, new RegExp(`\\s${id}\\s`));
    assert.is(execFileSync('ipcs', ['-q'], { encoding: 'utf8' }), hostQueues);
  });

  test('--net: only lo, and it is up', () => {
    const r = nsbox(['run', '--net', '--', 'ip', '-j', 'link', 'show']);
    assert.is(r.code, 0, r.stderr);
    const links = JSON.parse(r.stdout) as Array<{ ifname: string; flags: string[] }>;
    assert.equal(links.map((l) => l.ifname), ['lo']);
    assert.ok(links[0]!.flags.includes('UP'));
  });

  test('--mount: a mount made inside never reaches the host (private propagation)', async () => {
    const before = snapshot();
    const child = spawn(NSBOX, ['run', '--mount', '--', 'sh', '-c', 'mount -t tmpfs nsbox-probe /mnt && grep -c nsbox-probe /proc/self/mountinfo && { read x || true; }'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    while (!out.includes('1') && child.exitCode === null) await new Promise((r) => setTimeout(r, 10));
    assert.is(out.trim(), '1', 'mounted inside');
    assert.not.match(readFileSync('/proc/self/mountinfo', 'utf8'), /nsbox-probe/);
    assert.not.match(readFileSync('/proc/1/mountinfo', 'utf8'), /nsbox-probe/);
    child.stdin!.end();
    assert.is((await exitOf(child)).code, 0);
    await assertNoLeaks(before, '--mount');
  });

  test('--uid-map/--gid-map: the maps are in force, and a file root creates is owned by the mapped host ids', async () => {
    const dir = mkdtempSync('/tmp/nsbox-owner-');
    chmodSync(dir, 0o777);
    try {
      const box = await startBox(['--uid-map', '0:100000:65536', '--gid-map', '0:200000:1000', '--pid']);
      try {
        assert.is(readFileSync(`/proc/${box.pid}/uid_map`, 'utf8').trim().split(/\s+/).join(' '), '0 100000 65536');
        assert.is(readFileSync(`/proc/${box.pid}/gid_map`, 'utf8').trim().split(/\s+/).join(' '), '0 200000 1000');
        const status = readFileSync(`/proc/${box.pid}/status`, 'utf8');
        assert.match(status, /^Uid:\s+100000\s+100000\s+100000\s+100000$/m, 'container root is uid 100000 on the host');
      } finally {
        await box.stop();
      }
      const r = nsbox(['run', '--uid-map', '0:100000:65536', '--gid-map', '0:200000:1000', '--', 'sh', '-c', `id -u; touch ${dir}/made-by-root`]);
      assert.is(r.code, 0, r.stderr);
      assert.is(r.stdout.trim(), '0', 'root inside');
      const st = statSync(`${dir}/made-by-root`);
      assert.is(st.uid, 100000);
      assert.is(st.gid, 200000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('--map-root-user and --map-current-user are unshare\'s own maps', () => {
    const root = nsbox(['run', '--map-root-user', '--', 'cat', '/proc/self/uid_map']);
    assert.is(root.code, 0, root.stderr);
    assert.is(root.stdout.trim().split(/\s+/).join(' '), `0 ${process.getuid!()} 1`);
    const same = nsbox(['run', '--map-current-user', '--', 'cat', '/proc/self/uid_map']);
    assert.is(same.stdout.trim().split(/\s+/).join(' '), `${process.getuid!()} ${process.getuid!()} 1`);
  });

  test('--map-auto maps the /etc/subuid and /etc/subgid ranges through newuidmap (a private mount ns supplies them)', () => {
    const dir = mkdtempSync('/tmp/nsbox-subid-');
    try {
      chmodSync(dir, 0o777);
      writeFileSync(`${dir}/subuid`, 'root:300000:65536\n');
      writeFileSync(`${dir}/subgid`, 'root:400000:65536\n');
      writeFileSync(`${dir}/empty`, '');
      // Bind-mount test files over /etc/sub[ug]id in a mount namespace of this test only: the host's stay untouched.
      const run = (subuid: string, subgid: string) =>
        spawnSync('unshare', ['--mount', '--', 'sh', '-c', `mount --bind ${subuid} /etc/subuid && mount --bind ${subgid} /etc/subgid && exec "$@"`, 'sh', NSBOX, 'run', '--map-auto', '--', 'sh', '-c', `cat /proc/self/uid_map /proc/self/gid_map; touch ${dir}/file`], { encoding: 'utf8' });
      const r = run(`${dir}/subuid`, `${dir}/subgid`);
      assert.is(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' ')), ['0 300000 65536', '0 400000 65536']);
      assert.is(statSync(`${dir}/file`).uid, 300000);
      assert.is(statSync(`${dir}/file`).gid, 400000);
      const none = run(`${dir}/empty`, `${dir}/empty`);
      assert.is(none.status, 125);
      assert.match(none.stderr, /^nsbox: --map-auto: no range for root in \/etc\/subuid\nnsbox: hint: add one/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('-e, --env-file, -w and --user reach the command; the argv arrives word for word', () => {
    const r = nsbox(['run', '--uts', '-e', 'A=x y', '-w', '/tmp', '--user', '1000:1001', '--', 'sh', '-c', 'printf "%s|" "$A" "$(pwd)" "$(id -u)" "$(id -g)" "$@"', 'sh', 'a b', '', '*']);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, 'x y|/tmp|1000|1001|a b||*|');
  });

  test('--all: every namespace is new', async () => {
    const before = snapshot();
    const box = await startBox(['--all', '--map-root-user']);
    try {
      for (const { procFile } of NAMESPACES) assert.is.not(readlinkSync(`/proc/${box.pid}/ns/${procFile}`), hostNs(procFile), procFile);
    } finally {
      await box.stop();
    }
    await assertNoLeaks(before, '--all');
  });

  test('--init: PID 1 reaps orphans; without it they stay zombies', () => {
    const script = '(sleep 0.1 &); sleep 0.6; for s in /proc/[0-9]*/stat; do cut -d" " -f3 "$s"; done | grep -c Z || true';
    const withInit = nsbox(['run', '--pid', '--mount-proc', '--init', '--', 'sh', '-c', script]);
    assert.is(withInit.code, 0, withInit.stderr);
    assert.is(withInit.stdout.trim(), '0');
    // the reference: PID 1 that never waits (exec sleep) leaves the orphan a zombie
    const without = nsbox(['run', '--pid', '--mount-proc', '--', 'sh', '-c', `sh -c '(sleep 0.1 &); sleep 0.6; ${script.replace(/'/g, "'\\''").replace('(sleep 0.1 &); sleep 0.6; ', '')}' & exec sleep 1`]);
    assert.match(without.stdout.trim(), /^[1-9]/);
  });

  test('the --dry-run script, run by sh, gives the same isolation', () => {
    const probe = ['sh', '-c', 'for n in mnt uts ipc net pid user cgroup time; do readlink /proc/self/ns/$n; done; hostname'];
    const flags = ['--uts', '--ipc', '--net', '--pid', '--mount-proc', '--hostname', 'scripted', '--uid-map', '0:100000:65536'];
    const script = nsbox(['run', ...flags, '--dry-run', '--', ...probe]);
    assert.is(script.code, 0, script.stderr);
    const viaSh = execFileSync('sh', ['-s'], { input: script.stdout, encoding: 'utf8' }).trim().split('\n');
    const viaNsbox = nsbox(['run', ...flags, '--', ...probe]).stdout.trim().split('\n');
    const isolation = (lines: string[]) => NAMESPACES.map((ns, i) => `${ns.name}:${lines[i] !== hostNs(ns.procFile)}`);
    assert.equal(isolation(viaSh), isolation(viaNsbox));
    assert.equal(isolation(viaSh), ['mount:true', 'uts:true', 'ipc:true', 'net:true', 'pid:true', 'user:true', 'cgroup:false', 'time:false']);
    assert.is(viaSh[8], 'scripted');
  });

  test('a command and a value holding newlines (even a "NSBOX_EOF" line): the --dry-run script still runs under sh', () => {
    const argv = ['sh', '-c', 'echo "one"\necho "two:$X"'];
    const flags = ['--pid', '--mount-proc', '-e', 'X=a\nNSBOX_EOF\nb'];
    const script = nsbox(['run', ...flags, '--dry-run', '--', ...argv]);
    assert.is(script.code, 0, script.stderr);
    const syntax = spawnSync('sh', ['-n'], { input: script.stdout, encoding: 'utf8' });
    assert.is(syntax.status, 0, `sh -n: ${syntax.stderr}`);
    const viaSh = spawnSync('sh', ['-s'], { input: script.stdout, encoding: 'utf8' });
    assert.is(viaSh.status, 0, viaSh.stderr);
    assert.is(viaSh.stdout, 'one\ntwo:a\nNSBOX_EOF\nb\n');
    assert.is(nsbox(['run', ...flags, '--', ...argv]).stdout, viaSh.stdout);
  });

  test('--explain prints the script on stderr and runs the box', () => {
    const r = nsbox(['run', '--explain', '--hostname', 'explained', '--', 'hostname']);
    assert.is(r.code, 0);
    assert.is(r.stdout.trim(), 'explained');
    assert.match(r.stderr, /^#!\/bin\/sh/);
    assert.match(r.stderr, /# Set the hostname in the box's own uts namespace/);
    assert.match(r.stderr, /nsenter --target "\$\{box\}" --uts -- hostname explained/);
  });
}
test.run();
