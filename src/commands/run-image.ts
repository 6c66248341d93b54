// `nsbox run [flags] IMAGE [CMD...]` and `nsbox run --rootfs DIR [-- CMD...]`: a box with its own root file system.

import { realpathSync, statSync } from 'node:fs';
import { hostRunner } from '../exec/runner.js';
import { resolve } from 'node:path';
import { NsboxError, flagError } from '../errors.js';
import { requireTool } from '../host/tools.js';
import { describeStore, openStore, resolveStoreRoot } from '../image/store.js';
import { parseImageRef } from '../image/reference.js';
import { imageLowerDirs, readImageRecord, type ImageRecord } from '../image/records.js';
import { buildImageBoxDescription, type RootSource } from '../spec/image-box-description.js';
import { buildImagePlan } from '../plan/build-image-plan.js';
import { explainPlan, planText } from '../plan/explain.js';
import { runInForeground } from '../exec/foreground.js';
import { checkPlanTools } from '../exec/executor.js';
import { gatherImageFacts } from '../rootfs/gather-facts.js';
import { untrustedRootfsReason } from '../rootfs/rootfs-trust.js';
import { isRecorded } from '../lifecycle/run-options.js';
import { resolveStateRoot } from '../state/paths.js';
import { defaultImageNetwork } from '../net/image-default.js';
import { describeImageBoxConfig } from '../lifecycle/record-config.js';
import type { ImagePlanFacts } from '../plan/build-image-plan.js';
import type { ImageBoxDescription } from '../spec/image-box-description.js';
import type { BoxDescription } from '../spec/box-description.js';
import { sensitiveSourceWarnings } from '../rootfs/sensitive-sources.js';

/** The host tools an image box runs (the init's before pivot_root, and the toolbox's). */
const TOOLS = ['env', 'setpriv', 'unshare', 'sh', 'mount', 'umount', 'pivot_root', 'mkdir', 'ln', 'ip'] as const;

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
    lowerDirs = await imageLowerDirs(store, ref);
  }
  // Docker's default for image boxes is the bridge network; without iptables or nft, a network namespace with only lo.
  const spec = buildImageBoxDescription(args, { source, storeRoot: store.root, config: record?.config ?? {}, command: cmd, interactive: process.stdin.isTTY === true, defaultNetwork: defaultImageNetwork() });
  try {
    return await startImageBox(spec, store, lowerDirs, record, args, title, cmd);
  } catch (error) {
    // The description took an address lease; a box that never ran (or was rolled back) gives it back.
    if (spec.box.network?.reserved) (await import('../net/release.js')).releaseNetwork(spec.box.id);
    throw error;
  }
}

async function startImageBox(spec: ImageBoxDescription, store: ReturnType<typeof describeStore>, lowerDirs: readonly string[], record: ImageRecord | undefined, args: Record<string, unknown>, title: string, cmd: readonly string[]): Promise<number> {
  const gathered = await gatherImageFacts(spec, store, lowerDirs, record);
  // The container names the state dir of its record, so gc can tell a container whose record is gone.
  const facts: ImagePlanFacts = { ...gathered, record: { ...gathered.record, stateRoot: resolveStateRoot(args.state) } };
  const volumes = spec.mounts.flatMap((m) => (m.kind === 'volume' ? [m] : []));
  const given = volumes.map((m, i) => ({ given: `${m.host}:/${m.target.join('/')}${m.readOnly ? ':ro' : ''}`, real: facts.volumeSources[i]!, readOnly: m.readOnly }));
  for (const warning of sensitiveSourceWarnings(given, spec.privileged)) process.stderr.write(`nsbox: warning: ${warning}\n`);
  // Every image box is recorded, as in Docker (its container directory outlives the run): ps -a lists it, rm removes
  // it; --rm removes it when it exits (by nsbox in the foreground, by its supervisor with -d, else by gc).
  if (isRecorded(args) || !args['dry-run']) {
    if (!args['dry-run']) await prepareHost(store.root);
    const { startRecorded } = await import('../lifecycle/start-box.js');
    return startRecorded(
      {
        spec: recordedSpec(spec, facts),
        buildPlan: (cgroup, detach) => buildImagePlan({ ...spec, remove: false, box: { ...spec.box, cgroup } }, facts, title, { detach, removedWithRecord: spec.remove }),
        recipe: (cgroup) => ({ kind: 'image', title, spec: { ...spec, remove: false, box: { ...spec.box, cgroup } }, facts: { ...facts, console: false } }),
        image: facts.imageLabel,
        inheritEnv: false,
        toolbox: facts.toolbox,
        entrypoint: spec.entrypoint,
        kept: [{ kind: 'remove', path: facts.container.dir, why: 'The container\'s directory: upper layer, init layer, /etc files.' }],
        config: describeImageBoxConfig(spec, record?.config ?? {}, cmd, args),
      },
      args,
    );
  }
  const plan = buildImagePlan(spec, facts, title);
  if (args['dry-run']) {
    process.stdout.write(planText(plan, args));
    return 0;
  }
  checkPlanTools(plan);
  if (args.explain) explainPlan(plan, args);
  await prepareHost(store.root);

  try {
    return await runInForeground(plan, { viaReaper: true, tty: spec.box.process.tty, json: args.json === true, id: spec.box.id });
  } catch (error) {
    // A box that never ran leaves no container behind, --rm or not.
    await hostRunner.remove(facts.container.dir).catch(() => undefined); // never through a mount left inside
    throw error;
  } finally {
    // The box ended: its lease and its lines in peers' /etc/hosts go (its undos removed its links and rules).
    if (spec.box.network?.reserved) (await import('../net/release.js')).releaseNetwork(spec.box.id);
  }
}

/** The tools, the store and a umask: the init layer's directories and the /etc files must be readable
 * by any user in the box. */
async function prepareHost(storeRoot: string): Promise<void> {
  for (const tool of TOOLS) requireTool(tool);
  await openStore(storeRoot);
  process.umask(0o022);
}

/** The box as its record keeps it: exec gets the image's whole environment (HOME too) and the image's user. */
function recordedSpec(spec: ImageBoxDescription, facts: ImagePlanFacts): BoxDescription {
  const box = spec.box;
  const env = { HOME: facts.user.home, ...box.process.env };
  const runAs = facts.user.uid !== 0 || facts.user.gid !== 0 ? { uid: facts.user.uid, gid: facts.user.gid } : undefined;
  return { ...box, process: { ...box.process, env, runAs } };
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
