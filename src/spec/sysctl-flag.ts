// `--sysctl KEY=VALUE` (docker run's): namespaced sysctls only (net.*, kernel.shm*, kernel.msg*, kernel.sem,
// fs.mqueue.*, as Docker and runc allow), each only with the namespace of the box's own that scopes it. Pure.

import { flagError } from '../errors.js';
import type { NamespaceName } from '../host/namespaces.js';
import { SYSCTL_NAME, sysctlScope } from './namespaced-sysctl.js';

/** [key, value] pairs in order, a key given again replacing the earlier value; `namespaces`: the box's own. */
export function parseSysctls(values: readonly string[], namespaces: ReadonlySet<NamespaceName>): readonly (readonly [string, string])[] {
  const byKey = new Map<string, string>();
  for (const entry of values) {
    const at = entry.indexOf('=');
    const key = at < 0 ? entry : entry.slice(0, at);
    const value = at < 0 ? '' : entry.slice(at + 1);
    if (at < 0 || !SYSCTL_NAME.test(key)) throw flagError('--sysctl', entry, 'expected KEY=VALUE, e.g. net.ipv4.ip_forward=1');
    if (value === '' || /[\n\0]/.test(value)) throw flagError('--sysctl', entry, 'the value must be one non-empty line');
    const scope = sysctlScope(key);
    if (scope === 'uts') throw flagError('--sysctl', entry, key === 'kernel.hostname' ? 'not one Docker allows (use --hostname)' : 'not one Docker allows');
    if (scope === undefined && key.startsWith('net.')) throw flagError('--sysctl', entry, 'a network namespace shows it, but it acts on the whole kernel (the host\'s too, for good)');
    if (scope === undefined) throw flagError('--sysctl', entry, 'not a namespaced sysctl (it would change the host\'s): only net.*, kernel.shm*, kernel.msg*, kernel.sem and fs.mqueue.*');
    if (!namespaces.has(scope)) throw flagError('--sysctl', entry, scope === 'net' ? 'needs a network namespace of the box\'s own (not --network host)' : 'needs an ipc namespace of the box\'s own (--ipc)');
    byKey.delete(key);
    byKey.set(key, value);
  }
  return [...byKey.entries()];
}

/** The writes, as commands run inside the box's namespaces (nsenter from the host) before its gate opens. */
export function sysctlCommands(sysctls: readonly (readonly [string, string])[] | undefined): { namespaces: readonly ('net' | 'ipc')[]; argv: string[]; why: string }[] {
  return (sysctls ?? []).map(([key, value]) => {
    const scope = sysctlScope(key) === 'ipc' ? 'ipc' : 'net';
    return {
      namespaces: [scope],
      // /proc/sys shows the namespaces of the process that opens the file: nsenter's, the box's own.
      argv: ['sh', '-c', 'printf \'%s\\n\' "$1" > "$2"', 'sysctl', value, `/proc/sys/${key.replace(/\./g, '/')}`],
      why: `--sysctl ${key}=${value} in the box's own ${scope} namespace (the host's stays as it is)`,
    };
  });
}
