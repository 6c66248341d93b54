// Which device nodes a container can open, enforced by mount flags: nodev everywhere a node could be (the root,
// every tmpfs and bound directory, /dev itself), and each node nsbox makes in /dev bound onto itself without nodev.
//
// Why: linux.resources.devices is a devices cgroup on v1, but on cgroup v2 it is an eBPF program, which no stock
// tool attaches (and nsbox has no compiled helper). Without this, on v2 a container could open a block device whose
// node its image ships, or one it makes with CAP_MKNOD (containerd's and Docker's default capabilities) in its /dev
// or any tmpfs. With it, on both v1 and v2: mknod still works (as under runc), but a node opens only where nsbox
// bound it, and nsbox binds only the nodes the device rules allow (the same rules runc's v2 program applies).

import { readFileSync, realpathSync, statSync } from 'node:fs';
import type { OciDevice, OciDeviceRule, OciMount } from '../oci/container.js';
import type { FstabEntry } from '../rootfs/fstab.js';

/** File systems that cannot hold a device node of the container's making: their mount flags are left as given. */
const NO_NODES = new Set(['proc', 'sysfs', 'mqueue', 'cgroup', 'cgroup2', 'devpts']);

/** True when the rules limit devices at all (a deny, and no rule that opens every device again). */
export function devicesRestricted(rules: readonly OciDeviceRule[]): boolean {
  return rules.some((r) => !r.allow) && !rules.some((r) => r.allow && /^a \*:\* \S*[rw]/.test(r.rule));
}

/** Whether the rules let a process open (read or write) device `type major:minor`: the last rule that speaks of it wins. */
export function deviceAllowed(rules: readonly OciDeviceRule[], type: 'c' | 'b', major: number, minor: number): boolean {
  let allowed = true;
  for (const r of rules) {
    const m = /^([abc]) (\*|\d+):(\*|\d+) ([rwm]+)$/.exec(r.rule);
    if (!m || !/[rw]/.test(m[4]!)) continue;
    if (m[1] !== 'a' && m[1] !== type) continue;
    if (m[2] !== '*' && Number(m[2]) !== major) continue;
    if (m[3] !== '*' && Number(m[3]) !== minor) continue;
    allowed = r.allow;
  }
  return allowed;
}

/**
 * A config mount's flags with the guard: nodev added (and any "dev" dropped) on every mount that could hold a node,
 * except a bind of one device node the rules allow (the caller bound that device in on purpose).
 */
export function guardedFlags(mount: OciMount, rules: readonly OciDeviceRule[], source: SourceKind): readonly string[] {
  if (mount.bind === 'none' && NO_NODES.has(mount.type)) return mount.flags;
  if (mount.bind !== 'none' && source.device && deviceAllowed(rules, source.device.type, source.device.major, source.device.minor)) return mount.flags;
  return [...mount.flags.filter((f) => f !== 'dev' && f !== 'nodev'), 'nodev'];
}

/** What a bind's source is: a device node (its numbers), or anything else. */
export interface SourceKind {
  readonly device?: { readonly type: 'c' | 'b'; readonly major: number; readonly minor: number };
}

/** A bind source on the host, looked at (it exists: create.ts checked). */
export function sourceKind(path: string): SourceKind {
  const info = statSync(path);
  if (!info.isCharacterDevice() && !info.isBlockDevice()) return {};
  // st_rdev as the kernel's new_encode_dev: minor's low 8 bits, major, minor's high bits.
  const rdev = info.rdev;
  const major = (rdev >> 8) & 0xfff;
  const minor = (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
  return { device: { type: info.isBlockDevice() ? 'b' : 'c', major, minor } };
}

/**
 * The nodes nsbox makes that may open: each bound onto itself without nodev (a bind is a mount of its own, with its
 * own flags), in one `mount --all`. `placed`: where each node is, resolved inside the root.
 */
export function deviceBindEntries(root: string, devices: readonly OciDevice[], rules: readonly OciDeviceRule[], placed: (path: string) => string): FstabEntry[] {
  return devices.flatMap((d) => {
    if (d.type === 'p' || !deviceAllowed(rules, d.type, d.major, d.minor)) return [];
    const target = `${root}${placed(d.path)}`;
    return [{ source: target, target, type: 'none', options: 'bind,nosuid,noexec', why: `${d.path} (${d.type} ${d.major}:${d.minor}): allowed, so it may open (everything around it is nodev).` }];
  });
}

/**
 * The flags the root's own mount has now (ro, nosuid, noexec), which a remount to add nodev must repeat: a bind
 * remount sets the per-mount flags to exactly those given (mount(2), MS_REMOUNT|MS_BIND).
 */
export function rootMountFlags(root: string, mountinfo: string = readMountinfo()): string[] {
  let real = root;
  try {
    real = realpathSync.native(root);
  } catch {
    // create.ts refuses a missing root before this
  }
  let best: { point: string; options: string[] } | undefined;
  for (const line of mountinfo.split('\n')) {
    const fields = line.split(' ');
    if (fields.length < 6) continue;
    const point = unescapeMountinfo(fields[4]!);
    const inside = point === '/' || real === point || real.startsWith(`${point}/`);
    if (inside && (!best || point.length >= best.point.length)) best = { point, options: fields[5]!.split(',') };
  }
  return (best?.options ?? []).filter((o) => o === 'ro' || o === 'nosuid' || o === 'noexec');
}

function readMountinfo(): string {
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return '';
  }
}

/** mountinfo writes space, tab, newline and backslash as \ooo. */
function unescapeMountinfo(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}
