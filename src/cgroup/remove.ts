// STUB (to be replaced by the cgroup module): kill every process in a cgroup and remove it, children first.

export async function removeCgroupTree(_dir: string): Promise<void> {}

/** The same as shell lines, for --explain. */
export function renderRemoveCgroup(dir: string): string {
  return `rmdir ${dir}`;
}
