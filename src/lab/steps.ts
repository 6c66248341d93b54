// The lab's steps, in the order of the "write your own docker" tutorials. Each step is data: the idea in a few
// sentences, the one nsbox command, which plan lines to show, and how to prove the effect from the host.

import { existsSync, readdirSync, chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { nsLink, readText, statusField, run, ownerOf, mountsAt, mountType, cgroupLimitFile } from './host-view.js';

export interface Observation {
  readonly what: string;
  readonly observed: string;
  readonly ok: boolean;
}

/** A running box started by the lab (or a process the student started, for `lab check`). */
export interface LabBox {
  readonly pid: number;
  readonly name: string;
  readonly id: string;
}

export interface LabContext {
  /** A scratch directory of this lab run (removed at the end). */
  readonly scratch: string;
  /** The image store root of this lab run (holds the busybox image for the image steps). */
  readonly storeRoot: string;
  /** Runs nsbox with these arguments, returning its exit code and output. */
  nsbox(args: readonly string[]): { code: number; stdout: string; stderr: string };
}

export interface LabStep {
  readonly id: string;
  readonly title: string;
  readonly idea: string;
  /** The exercise: what the student does by hand, checked by `nsbox lab check ID PID`. */
  readonly task: string;
  readonly image?: boolean;
  /** nsbox's arguments (after `run -d --name NAME`) for the box the step shows. */
  readonly args: (ctx: LabContext) => string[];
  /** Which lines of the step's `--explain=steps` to show. */
  readonly planLines: RegExp;
  /** Proves the effect of the lab's own box from the host (may run more nsbox commands through ctx). */
  readonly prove: (box: LabBox, ctx: LabContext) => Observation[];
  /** Checks a process the student started by hand. */
  readonly check: (pid: number) => Observation[];
}

/** One namespace of PID against the lab's own: isolated when the links differ. */
export function nsIsolated(pid: number, ns: string, label = ns): Observation {
  const mine = nsLink('self', ns);
  const theirs = nsLink(pid, ns);
  const ok = theirs !== undefined && mine !== undefined && theirs !== mine;
  const observed = theirs === undefined ? `cannot read /proc/${pid}/ns/${ns}` : `${theirs} in the box, ${mine} on the host`;
  return { what: ok ? `the ${label} namespace is the box's own` : `the ${label} namespace is still the host's`, observed, ok };
}

function same(what: string, observed: string, ok: boolean): Observation {
  return { what, observed, ok };
}

function inNs(pid: number, flags: readonly string[], argv: readonly string[]): string {
  try {
    return run(['nsenter', '--target', String(pid), ...flags, '--', ...argv]);
  } catch (error) {
    return `(${(error as Error).message.split('\n')[0]})`;
  }
}

const hostHostname = () => run(['hostname']);

export const STEPS: readonly LabStep[] = [
  {
    id: 'uts',
    title: 'UTS namespace: a hostname of its own',
    idea: 'The UTS namespace holds the host name and the NIS domain name. A process in a new one can rename "its machine" while the host keeps its name: the first thing every container does.',
    task: 'Give a shell its own hostname (lab-uts) without changing the host\'s. Then: nsbox lab check uts PID_OF_THAT_SHELL',
    args: () => ['--uts', '--hostname', 'lab-uts', '--', 'sleep', '600'],
    planLines: /unshare|hostname/,
    prove: (box) => {
      const inside = inNs(box.pid, ['--uts'], ['hostname']);
      return [nsIsolated(box.pid, 'uts'), same('the box is called lab-uts', `hostname in the box: ${inside}`, inside === 'lab-uts'), same('the host kept its name', `hostname on the host: ${hostHostname()}`, hostHostname() !== 'lab-uts')];
    },
    check: (pid) => {
      const inside = inNs(pid, ['--uts'], ['hostname']);
      return [nsIsolated(pid, 'uts'), same('the hostname differs from the host\'s', `inside: ${inside}, host: ${hostHostname()}`, inside !== hostHostname())];
    },
  },
  {
    id: 'ipc',
    title: 'IPC namespace: System V queues of its own',
    idea: 'System V IPC objects (message queues, semaphores, shared memory) and POSIX queues live in the IPC namespace. A queue made in the box cannot be seen, or sent to, from the host.',
    task: 'Start a shell in a new IPC namespace and make a message queue there (ipcmk -Q). Then: nsbox lab check ipc PID',
    args: () => ['--ipc', '--', 'sh', '-c', 'ipcmk -Q >/dev/null && exec sleep 600'],
    planLines: /unshare/,
    prove: (box) => {
      const inside = inNs(box.pid, ['--ipc'], ['ipcs', '-q']);
      const host = run(['ipcs', '-q']);
      const key = /0x[0-9a-f]+\s+(\d+)/.exec(inside)?.[1];
      return [
        nsIsolated(box.pid, 'ipc'),
        same('the box holds a message queue', `ipcs -q in the box: ${inside.split('\n').slice(-1)[0]}`, key !== undefined),
        same('the host does not see it', `ipcs -q on the host lists ${host.split('\n').filter((l) => /^0x/.test(l)).length} queue(s)`, key === undefined || !host.split('\n').some((l) => /^0x/.test(l) && l.split(/\s+/)[1] === key && inside.includes(l.trim()))),
      ];
    },
    check: (pid) => {
      const inside = inNs(pid, ['--ipc'], ['ipcs', '-q']);
      return [nsIsolated(pid, 'ipc'), same('a message queue exists in it', inside.split('\n').slice(-1)[0] ?? '', /^0x/m.test(inside))];
    },
  },
  {
    id: 'pid',
    title: 'PID namespace and a private /proc',
    idea: 'In a new PID namespace the first process is PID 1, and it sees only its own descendants. /proc shows the pid namespace of whoever mounted it, so the box mounts a /proc of its own (in its own mount namespace).',
    task: 'Start a shell that is PID 1 of a new pid namespace, with a /proc that shows only its processes. Then: nsbox lab check pid PID',
    args: () => ['--pid', '--mount-proc', '--', 'sleep', '600'],
    planLines: /unshare|mount -t proc/,
    prove: (box) => {
      const nspid = statusField(box.pid, 'NSpid') ?? '';
      const inside = inNs(box.pid, ['--mount', '--pid'], ['ls', '/proc']).split(/\s+/).filter((e) => /^\d+$/.test(e));
      const host = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
      return [
        nsIsolated(box.pid, 'pid'),
        same('the box\'s command is PID 1 inside', `NSpid (host pid, pid inside): ${nspid}`, nspid.split(/\s+/).pop() === '1'),
        same('its /proc lists only the box', `/proc inside lists ${inside.length} process(es), the host's ${host.length}`, inside.length > 0 && inside.length < host.length),
      ];
    },
    check: (pid) => {
      const nspid = statusField(pid, 'NSpid') ?? '';
      const procs = mountsAt(pid, '/proc');
      const inside = inNs(pid, ['--mount', '--pid'], ['ls', '/proc']).split(/\s+/).filter((e) => /^\d+$/.test(e));
      const host = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
      return [
        nsIsolated(pid, 'pid'),
        same('it is PID 1 (or below) of the new namespace', `NSpid: ${nspid}`, nspid.split(/\s+/).length > 1),
        nsIsolated(pid, 'mnt', 'mount'),
        same('its /proc is a fresh proc mount of its own pid namespace', `${procs.length} proc mount(s) at /proc; /proc inside lists ${inside.length} of the host's ${host.length} processes`, procs.length > 0 && inside.length < host.length),
      ];
    },
  },
  {
    id: 'mount',
    title: 'Mount namespace: mounts the host never sees',
    idea: 'A new mount namespace starts as a copy of the host\'s mount table. With private propagation, whatever the box mounts or unmounts stays in its copy: the host\'s table is unchanged.',
    task: 'In a new mount namespace (private propagation), mount a tmpfs on a directory; the host must not see it. Then: nsbox lab check mount PID',
    args: (ctx) => {
      mkdirSync(join(ctx.scratch, 'mnt'), { recursive: true });
      return ['--mount', '--', 'sh', '-c', `mount -t tmpfs lab-tmpfs ${join(ctx.scratch, 'mnt')} && exec sleep 600`];
    },
    planLines: /unshare|propagation/,
    prove: (box, ctx) => {
      const target = join(ctx.scratch, 'mnt');
      const inside = mountsAt(box.pid, target);
      const host = mountsAt('self', target);
      return [
        nsIsolated(box.pid, 'mnt', 'mount'),
        same('the box has the tmpfs', inside[0] ? `box's mountinfo: ${inside[0]}` : 'not in the box\'s mountinfo', inside.some((l) => mountType(l) === 'tmpfs')),
        same('the host does not', `host's mountinfo has ${host.length} mount(s) at ${target}`, host.length === 0),
      ];
    },
    check: (pid) => {
      const mine = new Set((readText('/proc/self/mountinfo') ?? '').split('\n').map((l) => `${l.split(' ')[4]} ${mountType(l)}`));
      const extra = (readText(`/proc/${pid}/mountinfo`) ?? '').split('\n').filter((l) => l && !mine.has(`${l.split(' ')[4]} ${mountType(l)}`));
      const root = mountsAt(pid, '/')[0] ?? '';
      return [
        nsIsolated(pid, 'mnt', 'mount'),
        same('propagation from the box to the host is off (no "shared:" on /)', root, root !== '' && !/ shared:\d+/.test(root.split(' - ')[0]!)),
        same('it has a mount the host does not', extra[0] ?? 'no mount of its own', extra.length > 0),
      ];
    },
  },
  {
    id: 'user',
    title: 'User namespace and id maps: root inside, nobody special outside',
    idea: 'A user namespace maps ids inside to ids outside (/proc/PID/uid_map). Root in the box is uid 100000 on the host: files it creates belong to 100000, and the host\'s permission checks see 100000.',
    task: 'Start a shell that is root in a new user namespace but uid 100000 (or any non-zero uid) on the host. Then: nsbox lab check user PID',
    args: (ctx) => {
      const dir = join(ctx.scratch, 'user');
      mkdirSync(dir, { recursive: true });
      chmodSync(ctx.scratch, 0o755); // reachable by the mapped uid 100000 ...
      chmodSync(dir, 0o777); // ... and writable by it
      return ['--user', '--uid-map', '0:100000:65536', '--', 'sh', '-c', `touch ${dir}/made-by-box-root && exec sleep 600`];
    },
    planLines: /uid_map|gid_map|nsenter --user|unshare/,
    prove: (box, ctx) => {
      const map = (readText(`/proc/${box.pid}/uid_map`) ?? '').trim().replace(/\s+/g, ' ');
      const owner = ownerOf(join(ctx.scratch, 'user', 'made-by-box-root'));
      const uid = statusField(box.pid, 'Uid') ?? '';
      return [
        nsIsolated(box.pid, 'user'),
        same('uid 0 inside is 100000 outside', `uid_map: ${map}`, map === '0 100000 65536'),
        same('the box\'s root is uid 100000 to the host', `Uid (real, effective, saved, fs) seen from the host: ${uid}`, uid.split(/\s+/)[0] === '100000'),
        same('a file made by root in the box belongs to 100000 on the host', owner ? `owner on the host: ${owner.uid}:${owner.gid}` : 'no file', owner?.uid === 100000),
      ];
    },
    check: (pid) => {
      const map = (readText(`/proc/${pid}/uid_map`) ?? '').trim();
      const uid = (statusField(pid, 'Uid') ?? '').split(/\s+/)[0];
      const identity = /^0\s+0\s+4294967295$/.test(map);
      return [
        nsIsolated(pid, 'user'),
        same('uid 0 inside maps to a non-root uid outside', `uid_map: ${map.replace(/\s+/g, ' ') || '(empty: no map written yet)'}`, map !== '' && !identity && /^0\s+[1-9]/m.test(map)),
        same('the process is not root on the host', `host uid: ${uid}`, uid !== '0'),
      ];
    },
  },
  {
    id: 'net',
    title: 'Network namespace: a network stack of its own',
    idea: 'A network namespace has its own interfaces, addresses, routes and firewall. A new one holds only lo; nsbox brings it up. The host\'s interfaces are out of reach until a veth pair connects the two.',
    task: 'Start a shell in a new network namespace whose only interface is lo, and bring lo up. Then: nsbox lab check net PID',
    args: () => ['--net', '--', 'sleep', '600'],
    planLines: /unshare|link set lo up|ip /,
    prove: (box) => {
      const inside = inNs(box.pid, ['--net'], ['ip', '-o', 'link']).split('\n').map((l) => l.split(':')[1]?.trim());
      const host = run(['ip', '-o', 'link']).split('\n').length;
      return [nsIsolated(box.pid, 'net'), same('the box has only lo', `links in the box: ${inside.join(', ')}; on the host: ${host}`, inside.length === 1 && inside[0] === 'lo')];
    },
    check: (pid) => {
      const links = inNs(pid, ['--net'], ['ip', '-o', 'link']).split('\n').filter(Boolean);
      const lo = links.find((l) => / lo:/.test(l)) ?? '';
      return [
        nsIsolated(pid, 'net'),
        same('only lo', `links: ${links.map((l) => l.split(':')[1]?.trim()).join(', ')}`, links.length === 1),
        same('lo is up', lo.replace(/\s+/g, ' ').slice(0, 80), /[<,]UP[,>]/.test(lo)),
      ];
    },
  },
  {
    id: 'cgroup',
    title: 'cgroups: limits the kernel enforces',
    idea: 'A cgroup is a group of processes with limits: memory, CPU time, number of processes. The box\'s processes join their own cgroup before the command starts; a box that passes its memory limit is killed by the kernel (OOM), and nsbox tells you so.',
    task: 'Start a shell in a cgroup of its own with a memory limit (e.g. 32 MiB) and a process limit (e.g. 20). Then: nsbox lab check cgroup PID',
    args: () => ['--memory', '32m', '--pids-limit', '20', '--', 'sleep', '600'],
    planLines: /cgcreate|cgset|memory|pids|cgexec/,
    prove: (box, ctx) => {
      const memory = cgroupLimitFile(box.pid, 'memory');
      const pids = cgroupLimitFile(box.pid, 'pids');
      const memValue = memory ? readText(memory)?.trim() : undefined;
      const pidsValue = pids ? readText(pids)?.trim() : undefined;
      // A second box that passes its limit: the kernel kills it and nsbox reports the OOM kill.
      const oom = ctx.nsbox(['run', '--memory', '32m', '--json', '--', 'sh', '-c', 'head -c 64m /dev/zero | tail -n 1 >/dev/null']);
      const line = oom.stderr.split('\n').find((l) => l.startsWith('{')) ?? '';
      let verdict: { oomKilled?: boolean } = {};
      try {
        verdict = JSON.parse(line);
      } catch {
        // reported below
      }
      return [
        same('the box\'s memory limit is in its cgroup', `${memory ?? 'no memory cgroup'}: ${memValue}`, memValue === String(32 * 1024 * 1024)),
        same('its process limit too', `${pids ?? 'no pids cgroup'}: ${pidsValue}`, pidsValue === '20'),
        same('a box that passes its limit is OOM-killed, and nsbox says so', `exit ${oom.code}; ${line || oom.stderr.trim().split('\n').pop()}`, oom.code === 137 && verdict.oomKilled === true),
      ];
    },
    check: (pid) => {
      const memory = cgroupLimitFile(pid, 'memory');
      const pids = cgroupLimitFile(pid, 'pids');
      const memValue = memory ? readText(memory)?.trim() : undefined;
      const pidsValue = pids ? readText(pids)?.trim() : undefined;
      const unlimited = (v: string | undefined) => v === undefined || v === 'max' || Number(v) >= 2 ** 62;
      return [
        same('a memory limit is in force', `${memory ?? 'no memory cgroup found'}: ${memValue ?? '-'}`, !unlimited(memValue)),
        same('a process limit is in force', `${pids ?? 'no pids cgroup found'}: ${pidsValue ?? '-'}`, !unlimited(pidsValue)),
      ];
    },
  },
  {
    id: 'pivot',
    title: 'pivot_root: the image becomes the root',
    idea: 'pivot_root swaps the root of the mount namespace for another directory, here the image\'s file system, and the old root is then detached. Unlike chroot, nothing of the host\'s file system stays reachable.',
    task: 'Start a shell whose root is a busybox root file system (pivot_root, old root detached). Then: nsbox lab check pivot PID',
    image: true,
    args: () => ['--net', 'none', 'busybox', 'sleep', '600'],
    planLines: /pivot_root|umount -i -n -l|overlay/,
    prove: (box) => {
      const listing = readdirSync(`/proc/${box.pid}/root`).sort();
      const hostRoot = readdirSync('/').sort();
      const root = mountsAt(box.pid, '/')[0] ?? '';
      return [
        same('the box\'s / is the image', `/proc/${box.pid}/root holds: ${listing.join(' ')}`, listing.includes('bin') && existsSync(`/proc/${box.pid}/root/bin/busybox`)),
        same('the host\'s root is not the box\'s', `host / holds ${hostRoot.length} entries, the box's ${listing.length}`, listing.join() !== hostRoot.join()),
        same('/ in the box is the overlay mount', root.slice(0, 100), mountType(root) === 'overlay'),
      ];
    },
    check: (pid) => {
      const listing = readdirSync(`/proc/${pid}/root`).sort();
      const lines = (readText(`/proc/${pid}/mountinfo`) ?? '').split('\n').filter(Boolean);
      const hostish = lines.filter((l) => l.split(' ')[4] !== '/' && l.split(' ')[3] === '/' && /ext4|xfs|btrfs/.test(mountType(l)));
      return [
        nsIsolated(pid, 'mnt', 'mount'),
        same('its root is another directory than the host\'s', `/proc/${pid}/root: ${listing.slice(0, 12).join(' ')}`, listing.join() !== readdirSync('/').sort().join()),
        same('the old root is detached (no host root file system mounted below)', hostish[0] ?? 'none left', hostish.length === 0),
      ];
    },
  },
  {
    id: 'overlay',
    title: 'overlayfs: copy-on-write over a read-only image',
    idea: 'The image\'s layers are the lower, read-only layers of an overlay mount; each container gets an upper layer of its own. A file the box writes lands in its upper layer; the image is never changed, so many boxes share it.',
    task: 'Mount an overlay (lowerdir = a directory, upperdir and workdir of your own) as a process\'s root or on a directory it uses, then write a file through it. Then: nsbox lab check overlay PID',
    image: true,
    args: () => ['--net', 'none', 'busybox', 'sh', '-c', 'echo written-in-the-box > /etc/lab-cow && exec sleep 600'],
    planLines: /overlay/,
    prove: (box) => {
      const root = mountsAt(box.pid, '/')[0] ?? '';
      const upper = /upperdir=([^,]+)/.exec(root)?.[1];
      const lower = /lowerdir=([^,]+)/.exec(root)?.[1]?.split(':') ?? [];
      const inUpper = upper ? readText(join(upper, 'etc', 'lab-cow'))?.trim() : undefined;
      const inLower = lower.filter((l) => existsSync(join(l, 'etc', 'lab-cow')));
      return [
        same('the box\'s root is an overlay with an upper layer', upper ? `upperdir=${upper}` : root.slice(0, 100), upper !== undefined),
        same('the file the box wrote is in the box\'s upper layer on the host', `${upper}/etc/lab-cow: ${inUpper}`, inUpper === 'written-in-the-box'),
        same('the image\'s layers are unchanged', `${inLower.length} of ${lower.length} lower layers hold etc/lab-cow`, lower.length > 0 && inLower.length === 0),
      ];
    },
    check: (pid) => {
      const overlays = (readText(`/proc/${pid}/mountinfo`) ?? '').split('\n').filter((l) => mountType(l) === 'overlay');
      const line = overlays[0] ?? '';
      return [
        same('an overlay is mounted in its mount namespace', line.slice(0, 120) || 'no overlay mount', overlays.length > 0),
        same('it has an upper layer (writes are copied up)', /upperdir=([^,]+)/.exec(line)?.[0] ?? 'no upperdir', /upperdir=/.test(line)),
      ];
    },
  },
  {
    id: 'exec',
    title: 'A detached box, and exec into it',
    idea: 'A detached box runs without a terminal; nsbox keeps its record and log. `nsbox exec` starts another process inside it: the same namespaces, cgroup, root and user, entered with nsenter.',
    task: 'Start a process in new uts, pid and mount namespaces, then enter them with nsenter and start a second process there. Then: nsbox lab check exec PID_OF_THE_SECOND',
    image: true,
    args: () => ['--net', 'none', 'busybox', 'sleep', '600'],
    planLines: /unshare|setsid/,
    prove: (box, ctx) => {
      const r = ctx.nsbox(['exec', box.name, 'sh', '-c', 'for ns in pid mnt uts; do readlink /proc/self/ns/$ns; done; hostname']);
      const [pid, mnt, uts, hostname] = r.stdout.trim().split('\n');
      return [
        same('nsbox exec ran in the box', `exit ${r.code}, hostname ${hostname}`, r.code === 0 && hostname === box.id.slice(0, 12)),
        same('the exec\'d process shares the box\'s pid namespace', `${pid} vs ${nsLink(box.pid, 'pid')}`, pid === nsLink(box.pid, 'pid')),
        same('and its mount and uts namespaces', `${mnt} ${uts}`, mnt === nsLink(box.pid, 'mnt') && uts === nsLink(box.pid, 'uts')),
      ];
    },
    check: (pid) => {
      const ppid = Number(statusField(pid, 'PPid'));
      const nspid = statusField(pid, 'NSpid') ?? '';
      return [
        nsIsolated(pid, 'pid'),
        nsIsolated(pid, 'uts'),
        nsIsolated(pid, 'mnt', 'mount'),
        same('it is not PID 1 there (it joined a running box)', `NSpid: ${nspid}, parent ${ppid}`, nspid.split(/\s+/).length > 1 && nspid.split(/\s+/).pop() !== '1'),
      ];
    },
  },
];

export function findStep(id: string): LabStep | undefined {
  return STEPS.find((s) => s.id === id);
}
