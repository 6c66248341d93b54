// Probes whether user namespaces may be created: max_user_namespaces, the RHEL 7 boot switch, distro sysctls.

import { readHostFile, type ProbeResult } from './probe-types.js';

const MAX_PATH = '/proc/sys/user/max_user_namespaces';
/** RHEL/CentOS 7 kernels ship user namespaces switched off behind this boot parameter. */
const RHEL7_ENABLE_PATH = '/sys/module/user_namespace/parameters/enable';
/** Debian/Ubuntu patch: 0 means only privileged processes may create user namespaces. */
const DEBIAN_CLONE_PATH = '/proc/sys/kernel/unprivileged_userns_clone';
/** Ubuntu 23.10+: AppArmor denies unprivileged user namespaces unless a profile allows them. */
const APPARMOR_PATH = '/proc/sys/kernel/apparmor_restrict_unprivileged_userns';

const RAISE_LIMIT = 'sysctl -w user.max_user_namespaces=15000 (persist it in /etc/sysctl.d/)';
const RHEL7_FIX = 'boot with user_namespace.enable=1: grubby --update-kernel=ALL --args=user_namespace.enable=1, then reboot';

/** Results for user namespaces on the host under `root` ('' on the real host). */
export function probeUserNamespaces(root: string): ProbeResult[] {
  return [probeBootSwitch(root), probeLimit(root), probeDebianClone(root), probeAppArmor(root)].filter(
    (r): r is ProbeResult => r !== undefined,
  );
}

function probeBootSwitch(root: string): ProbeResult | undefined {
  const value = readHostFile(root, RHEL7_ENABLE_PATH)?.trim();
  if (value === undefined) return undefined;
  const what = 'user namespaces boot switch';
  if (value === 'Y' || value === '1') return { status: 'ok', what, detail: `user_namespace.enable=${value}` };
  return { status: 'fail', what, detail: `user_namespace.enable=${value}: disabled on the kernel command line (RHEL/CentOS 7)`, fix: RHEL7_FIX };
}

function probeLimit(root: string): ProbeResult {
  const what = 'user namespaces limit';
  const text = readHostFile(root, MAX_PATH)?.trim();
  if (text === undefined) return { status: 'ok', what, detail: `${MAX_PATH} absent (kernel before 4.9: no limit)` };
  const value = Number(text);
  if (!Number.isInteger(value)) return { status: 'warn', what, detail: `unreadable value ${JSON.stringify(text)} in ${MAX_PATH}` };
  if (value > 0) return { status: 'ok', what, detail: `user.max_user_namespaces = ${value}` };
  const rhel7 = readHostFile(root, RHEL7_ENABLE_PATH) !== undefined;
  return {
    status: 'fail',
    what,
    detail: 'user.max_user_namespaces = 0: no process may create a user namespace (--user, --map-root-user)',
    fix: rhel7 ? `${RAISE_LIMIT}; on CentOS 7 also ${RHEL7_FIX}` : RAISE_LIMIT,
  };
}

function probeDebianClone(root: string): ProbeResult | undefined {
  const value = readHostFile(root, DEBIAN_CLONE_PATH)?.trim();
  if (value === undefined) return undefined;
  const what = 'unprivileged user namespaces';
  if (value !== '0') return { status: 'ok', what, detail: `kernel.unprivileged_userns_clone = ${value}` };
  return {
    status: 'warn',
    what,
    detail: 'kernel.unprivileged_userns_clone = 0: only root may create user namespaces',
    fix: 'sysctl -w kernel.unprivileged_userns_clone=1',
  };
}

function probeAppArmor(root: string): ProbeResult | undefined {
  const value = readHostFile(root, APPARMOR_PATH)?.trim();
  if (value === undefined || value === '0') return undefined;
  return {
    status: 'warn',
    what: 'unprivileged user namespaces',
    detail: 'kernel.apparmor_restrict_unprivileged_userns = 1: AppArmor limits user namespaces of unprivileged users',
    fix: 'sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or an AppArmor profile with "userns,"',
  };
}
