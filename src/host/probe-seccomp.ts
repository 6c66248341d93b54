// `nsbox doctor`'s seccomp lines: does the kernel run filters, and which loader works here (setpriv
// --seccomp-filter from util-linux 2.41, else perl, tried for real with an allow-all filter).

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProbeResult } from './probe-types.js';
import { readHostFile } from './probe-types.js';
import type { ToolFinder } from './probe-tools.js';
import { nativeArch } from '../seccomp/arches.js';
import { perlLoaderScript, setprivHasSeccompFilter } from '../seccomp/loader.js';
import { encodeProgram, OP, RET } from '../seccomp/bpf.js';

export interface SeccompProbeInputs {
  readonly root: string;
  readonly findTool: ToolFinder;
  /** setpriv --help's text ('' when it cannot run). */
  readonly setprivHelp: (setpriv: string) => Promise<string>;
  /** Loads an allow-all filter with perl and checks Seccomp: 2 in the child; undefined on success, else why not. */
  readonly tryPerl: (perl: string) => Promise<string | undefined>;
}

const NEEDED_ACTIONS = ['kill_process', 'errno', 'allow'];

export async function probeSeccomp(inputs: SeccompProbeInputs): Promise<ProbeResult[]> {
  const results: ProbeResult[] = [];
  const status = readHostFile(inputs.root, '/proc/self/status') ?? '';
  const actions = (readHostFile(inputs.root, '/proc/sys/kernel/seccomp/actions_avail') ?? '').trim().split(/\s+/);
  const missing = NEEDED_ACTIONS.filter((a) => !actions.includes(a));
  if (!/^Seccomp:/m.test(status) || missing.length > 0) {
    results.push({ status: 'fail', what: 'seccomp filters', detail: `the kernel cannot run them${missing.length ? ` (no ${missing.join(', ')})` : ''}`, fix: 'a kernel with CONFIG_SECCOMP_FILTER (4.14+), or run image boxes with --security-opt seccomp=unconfined' });
  } else {
    results.push({ status: 'ok', what: 'seccomp filters', detail: `kernel actions: ${actions.join(' ')}` });
  }
  const setpriv = inputs.findTool('setpriv');
  if (setpriv && setprivHasSeccompFilter(await inputs.setprivHelp(setpriv))) {
    results.push({ status: 'ok', what: 'seccomp loader', detail: `${setpriv} --seccomp-filter` });
    return results;
  }
  const perl = inputs.findTool('perl');
  const fix = 'apt-get install perl-base (or util-linux 2.41+ for setpriv --seccomp-filter); else image boxes need --security-opt seccomp=unconfined';
  if (!perl) {
    results.push({ status: 'fail', what: 'seccomp loader', detail: 'none: setpriv has no --seccomp-filter (util-linux < 2.41) and perl is not installed', fix });
    return results;
  }
  const failure = await inputs.tryPerl(perl);
  results.push(failure === undefined
    ? { status: 'ok', what: 'seccomp loader', detail: `${perl} (setpriv has no --seccomp-filter before util-linux 2.41)` }
    : { status: 'fail', what: 'seccomp loader', detail: `${perl} cannot load a filter: ${failure}`, fix });
  return results;
}

/** The real setpriv --help. */
export function readSetprivHelp(setpriv: string): Promise<string> {
  return new Promise((resolve) => execFile(setpriv, ['--help'], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } }, (_e, out) => resolve(String(out ?? ''))));
}

/** The real perl try: an allow-all program, then `sh -c` in the child checks that the filter is on. */
export function tryPerlLoader(perl: string): Promise<string | undefined> {
  const arch = nativeArch();
  if (arch === undefined) return Promise.resolve(`no syscall table for ${process.arch}`);
  const dir = mkdtempSync(join(tmpdir(), 'nsbox-seccomp-'));
  const file = join(dir, 'allow.bpf');
  writeFileSync(file, encodeProgram([{ code: OP.RET_K, jt: 0, jf: 0, k: RET.ALLOW }]));
  const check = 'grep -q "^Seccomp:[[:space:]]*2" /proc/self/status';
  return new Promise((resolve) => {
    execFile(perl, ['-e', perlLoaderScript(arch), file, '--', '/bin/sh', '-c', check], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } }, (error, _out, err) => {
      rmSync(dir, { recursive: true, force: true });
      resolve(error ? (String(err).trim().split('\n')[0] || `exit status ${String(error.code)}`) : undefined);
    });
  });
}
