// `nsbox run [flags] IMAGE [CMD...]` and `nsbox run --rootfs DIR [-- CMD...]`: a box with its own root file system.

import { realpathSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { NsboxError, flagError } from '../errors.js';
import { requireTool } from '../host/tools.js';
import { describeStore, openStore, resolveStoreRoot } from '../image/store.js';
import { parseImageRef } from '../image/reference.js';
import { imageLowerDirs, readImageRecord, type ImageRecord } from '../image/records.js';
import { buildImageBoxSpec, type RootSource } from '../spec/image-box-spec.js';
import { buildImagePlan } from '../plan/build-image-plan.js';
import { renderShell } from '../plan/render-shell.js';
import { runInForeground } from '../exec/foreground.js';
import { gatherImageFacts } from '../rootfs/gather-facts.js';
import { closeInheritedFds } from '../exec/close-fds.js';

/** The host tools an image box runs (the init's before pivot_root, and the toolbox's). */
const TOOLS = ['env', 'setpriv', 'unshare', 'sh', 'mount', 'umount', 'pivot_root', 'mkdir', 'ln', 'ip'] as const;

/** Flags of the host-root mode or of later issues that image boxes do not take yet. */
const NOT_YET = ['detach', 'name', 'network', 'publish', 'dns', 'add-host'] as const;

/**
 * `command` is everything after the flags: [IMAGE, CMD...] when `afterDash` is false, or the CMD after `--` (with
 * --rootfs, every word is the command). Resolves to nsbox's exit code.
 */
export async function runImageBox(args: Record<string, unknown>, command: readonly string[], afterDash: boolean, title: string): Promise<number> {
  for (const flag of NOT_YET) {
    if (args[flag] !== undefined && args[flag] !== false) throw flagError(`--${flag}`, args[flag], 'not supported for image boxes yet');
  }
  const store = describeStore(resolveStoreRoot(args.root));
  let source: RootSource;
  let cmd: readonly string[];
  let record: ImageRecord | undefined;
  let lowerDirs: readonly string[];
  if (args.rootfs !== undefined) {
    const dir = checkRootfs(args.rootfs);
    source = { kind: 'rootfs', dir };
    cmd = command;
    lowerDirs = [dir];
  } else {
    if (afterDash || command.length === 0) throw new NsboxError('missing image: nsbox run [flags] IMAGE [CMD...]');
    const ref = parseImageRef(command[0], 'image');
    source = { kind: 'image', ref };
    cmd = command.slice(1);
    record = await readImageRecord(store, ref);
    lowerDirs = await imageLowerDirs(store, ref);
  }
  const spec = buildImageBoxSpec(args, { source, storeRoot: store.root, config: record?.config ?? {}, command: cmd, interactive: process.stdin.isTTY === true });
  const facts = await gatherImageFacts(spec, store, lowerDirs, record);
  const plan = buildImagePlan(spec, facts, title);
  if (args['dry-run']) {
    process.stdout.write(renderShell(plan));
    return 0;
  }
  for (const tool of TOOLS) requireTool(tool);
  if (args.explain) process.stderr.write(renderShell(plan));
  await openStore(store.root);
  closeInheritedFds();
  process.umask(0o022); // the init layer's directories and the /etc files must be readable by any user in the box

  try {
    return await runInForeground(plan, { viaReaper: true, json: args.json === true, id: spec.box.id });
  } catch (error) {
    // A box that never ran leaves no container behind, --rm or not.
    await rm(facts.container.dir, { recursive: true, force: true }).catch(() => undefined);
    throw error;
  }
}

function checkRootfs(value: unknown): string {
  if (typeof value !== 'string' || value === '') throw flagError('--rootfs', value, 'expected a directory');
  try {
    const dir = realpathSync(resolve(value));
    if (statSync(dir).isDirectory()) return dir;
  } catch {
    // reported below
  }
  throw flagError('--rootfs', value, 'no such directory');
}
