// Whether this process's real and effective uid and gid are all 0: a child it starts (a box's or a container's init)
// starts as root:root, so a process user 0:0 needs no change of user (src/rootfs/final-exec.ts, identityKept).

export function runsAsRoot(): boolean {
  return process.getuid?.() === 0 && process.geteuid?.() === 0 && process.getgid?.() === 0 && process.getegid?.() === 0;
}
