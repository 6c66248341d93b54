// An OCI bundle for runc/crun over an existing root file system: `runc spec`, then the process, root and limits set.

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface BundleOptions {
  readonly rootfs: string;
  readonly args: readonly string[];
  /** memory.limit in bytes, or none. */
  readonly memoryBytes?: number;
}

/**
 * Writes DIR/config.json with `tool spec`. No cgroupsPath: runc (cgroupfs driver) then makes each container's cgroup
 * as `<id>` below its own cgroup in every hierarchy, so the bench's runs never touch the host's cgroups.
 */
export function writeOciBundle(tool: string, dir: string, options: BundleOptions): void {
  mkdirSync(dir, { recursive: true });
  execFileSync(tool, ['spec'], { cwd: dir });
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, any>;
  config.process.terminal = false;
  config.process.args = [...options.args];
  config.root = { path: options.rootfs, readonly: true };
  delete config.linux.cgroupsPath;
  config.linux.resources = { ...config.linux.resources, ...(options.memoryBytes ? { memory: { limit: options.memoryBytes } } : {}) };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
}
