// Issue 2's set: nsbox run start-up against the same unshare(1) command and against bare node start-up.

import { existsSync } from 'node:fs';
import { describeMissingTools, findTool, NSBOX_BIN, NSBOX_BUNDLE } from '../paths.js';
import type { BenchSet } from '../types.js';

/** The namespaces the core box asks for, in nsbox's and unshare's spelling. */
export const CORE_NSBOX_FLAGS = ['--uts', '--pid', '--ipc', '--net', '--mount-proc'] as const;
const CORE_UNSHARE_FLAGS = ['--uts', '--pid', '--ipc', '--net', '--fork', '--mount-proc'] as const;

/** Why an nsbox set cannot run here (not root, not built, no unshare), or undefined. */
export function checkNsboxRunnable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (namespaces)';
  if (!existsSync(NSBOX_BUNDLE)) return `${NSBOX_BUNDLE} missing: run npm run build`;
  return describeMissingTools(['unshare'], 'util-linux');
}

export const coreSet: BenchSet = {
  name: 'core',
  title: 'issue 2: nsbox run start-up vs unshare vs node start-up',
  reference: 'node -e 0',
  candidates: [
    { name: 'nsbox', argv: [NSBOX_BIN, 'run', ...CORE_NSBOX_FLAGS, '--', 'true'] },
    { name: 'unshare', argv: ['unshare', ...CORE_UNSHARE_FLAGS, '--', 'true'] },
    { name: 'node -e 0', argv: [findTool('node') ?? process.execPath, '-e', '0'] },
  ],
  targets: [
    { kind: 'median-within', subject: 'nsbox', reference: 'node -e 0', slackMs: 25 },
    { kind: 'rss-below', subject: 'nsbox', limitMb: 60 },
  ],
  available: checkNsboxRunnable,
};
