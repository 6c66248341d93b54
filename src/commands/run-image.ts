// `nsbox run [flags] IMAGE [CMD...]` and `nsbox run --rootfs DIR [-- CMD...]`: a box with its own root file system.

import { realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { isatty } from 'node:tty';
import { NsboxError, flagError } from '../errors.js';
import { describeStore, resolveStoreRoot } from '../image/store.js';
import { parseImageRef } from '../image/reference.js';
import { readImageRecord, recordLowerDirs, type ImageRecord } from '../image/records.js';
import { buildImageBoxDescription, type RootSource } from '../spec/image-box-description.js';
import { gatherImageFacts } from '../rootfs/gather-facts.js';
import { untrustedRootfsReason } from '../rootfs/rootfs-trust.js';
import { resolveStateRoot } from '../state/paths.js';
import { defaultImageNetwork } from '../net/image-default.js';
import { describeImageBoxConfig } from '../lifecycle/record-config.js';
import type { ImagePlanFacts } from '../plan/build-image-plan.js';
import { sensitiveSourceWarnings } from '../rootfs/sensitive-sources.js';
import { startBox } from '../start-box/start-box.js';
import { startModeOf } from '../lifecycle/run-options.js';

/**
 * `command` is everything after the flags: [IMAGE, CMD...] when `afterDash` is false, or the CMD after `--` (with
 * --rootfs, every word is the command). Resolves to nsbox's exit code.
 */
export async function runImageBox(args: Record<string, unknown>, command: readonly string[], afterDash: boolean, title: string): Promise<number> {
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
    lowerDirs = recordLowerDirs(store, record);
  }
  // Docker's default for image boxes is the bridge network; without iptables or nft, a network namespace with only lo.
  const description = buildImageBoxDescription(args, { source, storeRoot: store.root, config: record?.config ?? {}, command: cmd, interactive: isatty(0), defaultNetwork: defaultImageNetwork() });
  let facts: ImagePlanFacts;
  try {
    const gathered = await gatherImageFacts(description, store, lowerDirs, record);
    // The container names the state dir of its record, so gc can tell a container whose record is gone.
    facts = { ...gathered, record: { ...gathered.record, stateRoot: resolveStateRoot(args.state) } };
  } catch (error) {
    // The description took an address lease; a box that never ran gives it back.
    if (description.box.network?.reserved) (await import('../net/release.js')).releaseNetwork(description.box.id);
    throw error;
  }
  const volumes = description.mounts.flatMap((m) => (m.kind === 'volume' ? [m] : []));
  const given = volumes.map((m, i) => ({ given: `${m.host}:/${m.target.join('/')}${m.readOnly ? ':ro' : ''}`, real: facts.volumeSources[i]!, readOnly: m.readOnly }));
  for (const warning of sensitiveSourceWarnings(given, description.privileged)) process.stderr.write(`nsbox: warning: ${warning}\n`);
  const config = describeImageBoxConfig(description, record?.config ?? {}, cmd, args);
  return startBox({ kind: 'image', description, facts, title, config }, startModeOf(args), args);
}

function checkRootfs(value: unknown): string {
  if (typeof value !== 'string' || value === '') throw flagError('--rootfs', value, 'expected a directory');
  let dir: string | undefined;
  try {
    dir = realpathSync(resolve(value));
    if (!statSync(dir).isDirectory()) dir = undefined;
  } catch {
    // reported below
  }
  if (dir === undefined) throw flagError('--rootfs', value, 'no such directory');
  const untrusted = untrustedRootfsReason(dir);
  if (untrusted) throw flagError('--rootfs', value, `${untrusted}: a user other than root could change it while nsbox checks and mounts it (chown root and chmod go-w)`);
  return dir;
}
