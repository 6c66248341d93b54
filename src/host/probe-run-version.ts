// Runs `<tool> --version` for doctor and `nsbox version` with execa: short timeout, output kept even when the tool
// exits non-zero. execa is imported here, when a probe runs: the box launch path stays on node:child_process
// (README, design notes).

import type { VersionRunner } from './probe-tools.js';

/** Resolves to stdout then stderr of `path args` (at most 2 s, C locale); never rejects. */
export const runVersionCommand: VersionRunner = async (path, args) => {
  const { execa } = await import('execa');
  const result = await execa(path, [...args], { timeout: 2000, reject: false, stdin: 'ignore', env: { LC_ALL: 'C' }, maxBuffer: 1 << 20, stripFinalNewline: false });
  return `${result.stdout ?? ''}${result.stderr ?? ''}`;
};
