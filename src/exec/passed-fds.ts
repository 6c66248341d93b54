// Where a launch gets the fds it is passed (--preserve-fds): nsbox's own fds 3.. at spawn's stdio places at.. .

/** nsbox's fds 3 .. 3+count-1, passed as the child's fds at .. at+count-1. */
export interface PassedFdsAt {
  readonly count: number;
  readonly at: number;
}

export type StdioEntry = 'ignore' | 'pipe' | 'inherit' | number;

/** spawn's stdio with nsbox's fds 3.. placed at passFds.at.. (libuv moves overlapping sources out of the way first). */
export function withPassedFds(stdio: readonly StdioEntry[], passFds: PassedFdsAt | undefined): StdioEntry[] {
  if (!passFds) return [...stdio];
  if (passFds.at < stdio.length) throw new Error(`internal: passed fds at ${passFds.at} overlap the launch's own`);
  const out: StdioEntry[] = [...stdio];
  // 'ignore' above fd 2 leaves the child's fd closed.
  while (out.length < passFds.at) out.push('ignore');
  for (let i = 0; i < passFds.count; i++) out.push(3 + i);
  return out;
}
