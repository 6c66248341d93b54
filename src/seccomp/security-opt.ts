// --security-opt for image boxes, as Docker spells it: seccomp=unconfined | seccomp=PROFILE.json | seccomp=builtin,
// and the options nsbox already honours (no-new-privileges) or has nothing to turn off (apparmor=unconfined,
// label=disable). --privileged implies seccomp=unconfined, as in Docker.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { NsboxError, flagError } from '../errors.js';
import { parseProfileText, type SeccompProfile } from './profile.js';

/** The box's seccomp: nsbox's default profile, none, or a profile file (already parsed and validated). */
export type SeccompChoice =
  | { readonly kind: 'default' }
  | { readonly kind: 'unconfined'; readonly because: 'flag' | 'privileged' }
  | { readonly kind: 'profile'; readonly file: string; readonly profile: SeccompProfile };

/** --security-opt values -> the box's seccomp; every bad value is a one-line error (nothing is created yet). */
export function parseSecurityOpts(values: readonly string[], privileged: boolean, read: (path: string) => string = (p) => readFileSync(p, 'utf8')): SeccompChoice {
  let choice: SeccompChoice = { kind: 'default' };
  for (const raw of values) {
    // Docker's older spelling uses ':' (seccomp:unconfined); a profile path may itself contain ':' or '='.
    const m = /^([a-z-]+)(?:[=:](.*))?$/s.exec(raw);
    const key = m?.[1];
    const value = m?.[2];
    if (key === 'seccomp') {
      if (value === undefined || value === '') throw flagError('--security-opt', raw, 'seccomp needs a value: unconfined or a profile file (seccomp=PROFILE.json)');
      if (value === 'unconfined') choice = { kind: 'unconfined', because: 'flag' };
      else if (value === 'builtin' || value === 'default') choice = { kind: 'default' };
      else choice = { kind: 'profile', file: resolve(value), profile: readProfile(value, read) };
    } else if (key === 'no-new-privileges') {
      if (value !== undefined && value !== 'true') throw flagError('--security-opt', raw, 'an image box always runs with no_new_privs');
    } else if (key === 'apparmor' || key === 'label') {
      if (!(key === 'apparmor' && value === 'unconfined') && !(key === 'label' && value === 'disable')) {
        throw flagError('--security-opt', raw, `nsbox applies no ${key === 'apparmor' ? 'AppArmor' : 'SELinux'} profile (only ${key === 'apparmor' ? 'apparmor=unconfined' : 'label=disable'} is accepted)`);
      }
    } else {
      throw flagError('--security-opt', raw, 'expected seccomp=unconfined, seccomp=PROFILE.json or no-new-privileges');
    }
  }
  if (privileged) return { kind: 'unconfined', because: 'privileged' };
  return choice;
}

function readProfile(path: string, read: (path: string) => string): SeccompProfile {
  let text: string;
  try {
    text = read(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new NsboxError(`cannot read seccomp profile ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory' : (e as Error).message}`);
  }
  return parseProfileText(text, path);
}
