// run --sysctl KEY=VALUE: namespaced sysctls only, each with the box's own namespace that scopes it (runc's table,
// shared with nsbox-runtime's linux.sysctl), and the plan: one write per key from inside the box's namespaces
// (nsenter from the host) before its gate opens, after the network's own set-up.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NsboxError } from '../../src/errors.js';
import type { NamespaceName } from '../../src/host/namespaces.js';
import { parseSysctls } from '../../src/spec/sysctl-flag.js';
import { buildBoxDescription } from '../../src/spec/run-flags.js';
import { buildRunPlan } from '../../src/plan/build-run-plan.js';
import { buildImageBoxDescription } from '../../src/spec/image-box-description.js';
import { renderShell } from '../../src/plan/render-shell.js';

const own = (...names: NamespaceName[]) => new Set<NamespaceName>(names);

function refused(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (error) {
    assert.instance(error, NsboxError);
    assert.is((error as NsboxError).exitCode, 125);
    assert.match((error as Error).message, pattern);
    assert.not.match((error as Error).message, /\n/);
    return;
  }
  assert.unreachable(`expected an error matching ${pattern}`);
}

test('namespaced keys with their namespace; the last value of a key wins; "=" inside a value is kept', () => {
  assert.equal(parseSysctls(['net.ipv4.ip_forward=1', 'net.core.somaxconn=1024', 'net.ipv4.ip_forward=0'], own('net')), [['net.core.somaxconn', '1024'], ['net.ipv4.ip_forward', '0']]);
  assert.equal(parseSysctls(['kernel.shmmax=65536', 'kernel.msgmax=4096', 'kernel.sem=250 32000 32 128', 'fs.mqueue.msg_max=20', 'kernel.shm_rmid_forced=1'], own('ipc')).length, 5);
  assert.equal(parseSysctls(['net.x.y=a=b'], own('net')), [['net.x.y', 'a=b']]);
  assert.equal(parseSysctls([], own()), []);
});

test('refused on one line: host-wide keys, a missing namespace, bad shapes and values', () => {
  refused(() => parseSysctls(['kernel.pid_max=100'], own('net', 'ipc', 'uts')), /^invalid --sysctl "kernel.pid_max=100": not a namespaced sysctl \(it would change the host's\)/);
  refused(() => parseSysctls(['vm.swappiness=1'], own('net', 'ipc')), /not a namespaced sysctl/);
  // Shown in every network namespace, but a kernel-wide static key that cannot be turned off again.
  refused(() => parseSysctls(['net.netfilter.nf_hooks_lwtunnel=1'], own('net', 'ipc')), /acts on the whole kernel/);
  refused(() => parseSysctls(['kernel.hostname=x'], own('uts')), /use --hostname/);
  refused(() => parseSysctls(['net.ipv4.ip_forward=1'], own('ipc')), /needs a network namespace of the box's own/);
  refused(() => parseSysctls(['kernel.shmmax=1'], own('net')), /needs an ipc namespace of the box's own \(--ipc\)/);
  refused(() => parseSysctls(['net.ipv4.ip_forward'], own('net')), /expected KEY=VALUE/);
  refused(() => parseSysctls(['net/ipv4/ip_forward=1'], own('net')), /expected KEY=VALUE/);
  refused(() => parseSysctls(['net..x=1'], own('net')), /expected KEY=VALUE/);
  refused(() => parseSysctls(['net.ipv4.ip_forward='], own('net')), /one non-empty line/);
  refused(() => parseSysctls(['net.ipv4.ip_forward=1\n2'], own('net')), /one non-empty line/);
});

test('host box: --net or --ipc decide; --network host has none of its own; refused before the lease', () => {
  const describe = (args: Record<string, unknown>) => buildBoxDescription(args, ['true'], { interactive: false, hostEnv: {} });
  assert.equal(describe({ net: true, sysctl: ['net.ipv4.ip_forward=1'] }).sysctls, [['net.ipv4.ip_forward', '1']]);
  assert.is(describe({ net: true }).sysctls, undefined);
  refused(() => describe({ sysctl: ['net.ipv4.ip_forward=1'] }), /needs a network namespace/);
  refused(() => describe({ ipc: true, sysctl: ['net.core.somaxconn=1'] }), /needs a network namespace/);
  refused(() => describe({ sysctl: ['kernel.shmmax=1'], net: true }), /needs an ipc namespace/);
});

test('plan: one nsenter into the box\'s net and ipc namespaces after the namespace check, before the gate; --explain shows it', () => {
  const s = buildBoxDescription({ net: true, ipc: true, hostname: 'h', sysctl: ['net.ipv4.ip_forward=1', 'kernel.shmmax=65536'] }, ['true'], { interactive: false, hostEnv: {} });
  const plan = buildRunPlan(s, 'nsbox run --net --ipc --sysctl ... -- true');
  const at = plan.steps.findIndex((st) => st.kind === 'exec' && st.argv[0] === 'nsenter');
  const step = plan.steps[at]!;
  assert.ok(step.kind === 'exec');
  if (step.kind === 'exec') {
    assert.equal(step.argv.slice(0, 7), ['nsenter', '--target', '{box}', '--net', '--ipc', '--uts', '--']);
    const script = step.argv[step.argv.length - 1]!;
    assert.match(script, /\/proc\/sys\/net\/ipv4\/ip_forward/);
    assert.match(script, /\/proc\/sys\/kernel\/shmmax/);
  }
  assert.ok(plan.steps.findIndex((st) => st.kind === 'await-namespaces') < at && at < plan.steps.findIndex((st) => st.kind === 'release'));
  assert.match(renderShell(plan), /--sysctl net.ipv4.ip_forward=1 in the box's own net namespace/);
  // Alone: the write is the nsenter's own command (no sh -c around it).
  const one = buildRunPlan(buildBoxDescription({ ipc: true, sysctl: ['kernel.msgmax=100'] }, ['true'], { interactive: false, hostEnv: {} }), 't');
  const only = one.steps.find((st) => st.kind === 'exec' && st.argv[0] === 'nsenter');
  assert.ok(only?.kind === 'exec');
  if (only?.kind === 'exec') assert.equal(only.argv, ['nsenter', '--target', '{box}', '--ipc', '--', 'sh', '-c', 'printf \'%s\\n\' "$1" > "$2"', 'sysctl', '100', '/proc/sys/kernel/msgmax']);
});

test('image box: its own net and ipc namespaces take every namespaced key', () => {
  const source = { kind: 'image' as const, ref: { name: 'busybox', tag: 'latest' } };
  const d = buildImageBoxDescription({ sysctl: ['net.ipv4.ip_forward=1', 'kernel.shmmax=1'] }, { source, storeRoot: '/var/lib/nsbox', config: { Cmd: ['sh'] }, command: [], interactive: false, hostEnv: {}, devicesCgroup: false });
  assert.equal(d.box.sysctls, [['net.ipv4.ip_forward', '1'], ['kernel.shmmax', '1']]);
});

test.run();
