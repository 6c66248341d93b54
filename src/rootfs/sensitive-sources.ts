// Volume sources that hand the box the host itself: its root, its kernel interfaces, a container runtime's socket.
// Docker mounts them without a word; nsbox mounts them too (tools rely on it) but says what it gives away.

import { basename } from 'node:path';

/** Real host paths whose bind (or anything below them) reaches the host's kernel or devices. */
const KERNEL_TREES: readonly [string, string][] = [
  ['/proc', "the host's /proc (every host process, kernel settings)"],
  ['/sys', "the host's /sys (kernel and device settings, cgroups)"],
  ['/dev', "the host's device nodes"],
  ['/boot', "the host's kernels and boot loader"],
];

/** Sockets of container runtimes: whoever can talk to one is root on the host. */
const RUNTIME_SOCKETS = /^(docker|containerd|podman|crio|cri-dockerd|buildkitd)\.sock$/;

/** Why a volume source (its real path) is sensitive, or undefined for an ordinary one. */
export function describeSensitiveSource(realPath: string): string | undefined {
  if (realPath === '/') return "the host's root file system";
  for (const [tree, what] of KERNEL_TREES) if (realPath === tree || realPath.startsWith(`${tree}/`)) return what;
  if (RUNTIME_SOCKETS.test(basename(realPath))) return `a container runtime's socket (${basename(realPath)}): control of it is root on the host`;
  return undefined;
}

/** One warning line per sensitive volume (none with --privileged, which asks for the host on purpose). */
export function sensitiveSourceWarnings(volumes: readonly { readonly given: string; readonly real: string; readonly readOnly: boolean }[], privileged: boolean): string[] {
  if (privileged) return [];
  return volumes.flatMap(({ given, real, readOnly }) => {
    const what = describeSensitiveSource(real);
    return what ? [`--volume ${given} gives the box ${what}${readOnly ? '' : ', writable'}; use :ro or drop it unless the box needs it (--privileged silences this)`] : [];
  });
}
