// Runs `<tool> --version` for doctor with node's execFile: short timeout, output kept even when the tool exits non-zero.

import { execFile } from 'node:child_process';
import type { VersionRunner } from './probe-tools.js';

/** Resolves to stdout then stderr of `path args` (at most 2 s, C locale); never rejects. */
export const runVersionCommand: VersionRunner = (path, args) =>
  new Promise((resolve) => {
    execFile(path, [...args], { timeout: 2000, env: { ...process.env, LC_ALL: 'C' }, maxBuffer: 1 << 20 }, (_error, stdout, stderr) => {
      resolve(`${stdout ?? ''}${stderr ?? ''}`);
    });
  });
