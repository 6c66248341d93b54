// Gathers what planning an image box needs from the store and the host: the layers, the mount points the image
// lacks (checked for symlinks), the user from the image's /etc/passwd, the toolbox, the kernel's masked paths.
// Reads only; creates nothing.

import { nativeArch } from '../seccomp/arches.js';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { VolumeMount } from './mount-flags.js';
import { volumePaths } from '../image/volumes.js';
import { NsboxError, flagError } from '../errors.js';
import type { ImageRecord } from '../image/records.js';
import type { Store } from '../image/store.js';
import type { ImageBoxDescription } from '../spec/image-box-description.js';
import type { ImagePlanFacts } from '../plan/build-image-plan.js';
import { describeContainerDir, type ContainerRecord } from './container-dir.js';
import { planInitLayer, planWorkdir, type MountTarget } from './mountpoints.js';
import { addGroups, layerTables, resolveBoxUser } from './image-user.js';
import { MASKED_PATHS, READONLY_PATHS, probeKernelPaths } from './proc-masks.js';
import { linkToolboxSet, resolveToolbox } from './toolbox.js';
import { prepareSeccomp } from '../seccomp/prepare.js';
import { kernelHasOverlayVolatile } from './overlay-volatile.js';
import { renderResolvConf } from './etc-files.js';
import { ETC_FILES } from './box-mounts.js';
import { guardsPreload, PRELOAD_FILE } from './preload-guard.js';
import { runsAsRoot } from '../host/runs-as-root.js';

/** A newline cannot be carried through mountinfo and the scripts; "," ":" "=" and backslash are escaped (overlayOptions). */
const UNSAFE_IN_OPTIONS = /\n/;

/** Facts for buildImagePlan. `record` is the image's, or undefined for --rootfs (lowerDirs is then [DIR]). */
export async function gatherImageFacts(spec: ImageBoxDescription, store: Store, lowerDirs: readonly string[], image: ImageRecord | undefined): Promise<ImagePlanFacts> {
  const container = describeContainerDir(store.containers, spec.box.id);
  for (const dir of [container.dir, ...lowerDirs]) {
    if (UNSAFE_IN_OPTIONS.test(dir)) throw new NsboxError(`cannot use ${dir} in an overlay mount: it contains a newline`, { hint: 'choose a store root (--root) or --rootfs path without them' });
  }
  const volumeSources: string[] = [];
  const createDirs: string[] = [];
  const volumes: string[] = [];
  const targets: MountTarget[] = [
    { parts: ['proc'], kind: 'directory', what: '/proc' },
    { parts: ['sys'], kind: 'directory', what: '/sys' },
    { parts: ['dev'], kind: 'directory', what: '/dev' },
  ];
  const covered = new Set(spec.mounts.map((m) => m.target.join('/')));
  for (const name of ETC_FILES) if (!covered.has(`etc/${name}`)) targets.push({ parts: ['etc', name], kind: 'file', what: `/etc/${name}` });
  if (guardsPreload(spec.mounts)) targets.push({ parts: PRELOAD_FILE.split('/'), kind: 'file', what: '/etc/ld.so.preload' });
  for (const m of spec.mounts) {
    if (m.kind === 'tmpfs') {
      targets.push({ parts: m.target, kind: 'directory', what: `--tmpfs /${m.target.join('/')}` });
      continue;
    }
    const { source, isDir, missing } = resolveVolumeSource(m, store.root);
    for (const dir of missing) if (!createDirs.includes(dir)) createDirs.push(dir);
    if (m.volume !== undefined && !volumes.includes(m.volume)) volumes.push(m.volume);
    volumeSources.push(source);
    targets.push({ parts: m.target, kind: isDir ? 'directory' : 'file', what: m.flag ?? `--volume ${m.host}` });
  }
  const initEntries = await planInitLayer(lowerDirs, targets);
  const workdir = (spec.box.process.workdir ?? '/').split('/').filter(Boolean);
  const workdirEntries = await planWorkdir(lowerDirs, initEntries, workdir);
  const user = await addGroups(await resolveBoxUser(lowerDirs, spec.user), spec.groupAdd ?? [], layerTables(lowerDirs));
  // The seccomp program and its loader (or an error naming the fix) before anything is created.
  const { seccomp, toolbox: boxToolbox } = prepareSeccomp(spec.seccomp, spec.capabilities, store.root, resolveToolbox(join(store.root, 'toolbox.json')));
  const toolbox = linkToolboxSet(boxToolbox, store.root);
  const record: ContainerRecord = {
    schemaVersion: 1,
    id: spec.box.id,
    created: new Date().toISOString(),
    image: image ? `${image.name}:${image.tag}` : undefined,
    imageId: image?.id,
    lowerDirs,
    layers: image?.layers ?? [],
    config: image?.config ?? {},
    argv: spec.box.process.argv,
    ...(volumes.length > 0 ? { volumes } : {}),
  };
  return {
    container,
    imageLabel: record.image,
    record,
    lowerDirs,
    initEntries: [...initEntries, ...workdirEntries],
    user,
    resolvConf: renderResolvConf(readText('/etc/resolv.conf')),
    volumeSources,
    createDirs,
    masked: probeKernelPaths(MASKED_PATHS),
    readonly: probeKernelPaths(READONLY_PATHS),
    toolbox,
    seccomp,
    console: spec.box.process.tty,
    overlayVolatile: kernelHasOverlayVolatile(),
    startsAsRoot: runsAsRoot(),
    arch: nativeArch(),
  };
}

/**
 * Where a -v/--mount source is on the host and which of its directories do not exist yet (parents first): a named
 * volume's _data, or a -v host directory, is created by the plan (Docker does both); --mount type=bind is not.
 * The path through existing directories is resolved with realpath, so a created directory lands where it is bound.
 */
function resolveVolumeSource(m: VolumeMount, root: string): { source: string; isDir: boolean; missing: readonly string[] } {
  const path = m.volume !== undefined ? volumePaths(root, m.volume).data : m.host;
  const flag = m.flag?.startsWith('--mount') ? '--mount' : '--volume';
  const given = m.flag?.replace(/^(-v|--mount) /, '') ?? `${m.host}:/${m.target.join('/')}`;
  try {
    const source = realpathSync(path);
    return { source, isDir: statSync(source).isDirectory(), missing: [] };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || (m.volume === undefined && !m.createMissing)) {
      throw flagError(flag, given, `${m.host} does not exist on the host`);
    }
  }
  const missing: string[] = [];
  let existing = path;
  while (!existsSync(existing)) {
    missing.unshift(basename(existing));
    existing = dirname(existing);
  }
  let at: string;
  try {
    at = realpathSync(existing);
    if (!statSync(at).isDirectory()) throw new Error('not a directory');
  } catch {
    throw flagError(flag, given, `cannot create ${path}: ${existing} is not a directory`);
  }
  const created = missing.map((name) => (at = join(at, name)));
  return { source: created[created.length - 1]!, isDir: true, missing: created };
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
