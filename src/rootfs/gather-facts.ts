// Gathers what planning an image box needs from the store and the host: the layers, the mount points the image
// lacks (checked for symlinks), the user from the image's /etc/passwd, the toolbox, the kernel's masked paths.
// Reads only; creates nothing.

import { readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { NsboxError, flagError } from '../errors.js';
import type { ImageRecord } from '../image/records.js';
import type { Store } from '../image/store.js';
import type { ImageBoxSpec } from '../spec/image-box-spec.js';
import type { ImagePlanFacts } from '../plan/build-image-plan.js';
import { describeContainerDir, type ContainerRecord } from './container-dir.js';
import { planInitLayer, planWorkdir, type MountTarget } from './mountpoints.js';
import { resolveBoxUser } from './image-user.js';
import { MASKED_PATHS, READONLY_PATHS, probeKernelPaths } from './proc-masks.js';
import { resolveToolbox } from './toolbox.js';
import { renderResolvConf } from './etc-files.js';
import { ETC_FILES } from './box-mounts.js';

/** Characters overlayfs's comma- and colon-separated options cannot carry in a path. */
const UNSAFE_IN_OPTIONS = /[,:\\\n]/;

/** Facts for buildImagePlan. `record` is the image's, or undefined for --rootfs (lowerDirs is then [DIR]). */
export async function gatherImageFacts(spec: ImageBoxSpec, store: Store, lowerDirs: readonly string[], image: ImageRecord | undefined): Promise<ImagePlanFacts> {
  const container = describeContainerDir(store.containers, spec.box.id);
  for (const dir of [container.dir, ...lowerDirs]) {
    if (UNSAFE_IN_OPTIONS.test(dir)) throw new NsboxError(`cannot use ${dir} in an overlay mount: it contains , : or \\`, { hint: 'choose a store root (--root) or --rootfs path without them' });
  }
  const volumeSources: string[] = [];
  const targets: MountTarget[] = [
    { parts: ['proc'], kind: 'directory', what: '/proc' },
    { parts: ['sys'], kind: 'directory', what: '/sys' },
    { parts: ['dev'], kind: 'directory', what: '/dev' },
  ];
  const covered = new Set(spec.mounts.map((m) => m.target.join('/')));
  for (const name of ETC_FILES) if (!covered.has(`etc/${name}`)) targets.push({ parts: ['etc', name], kind: 'file', what: `/etc/${name}` });
  for (const m of spec.mounts) {
    if (m.kind === 'tmpfs') {
      targets.push({ parts: m.target, kind: 'directory', what: `--tmpfs /${m.target.join('/')}` });
      continue;
    }
    let source: string;
    let isDir: boolean;
    try {
      source = realpathSync(m.host);
      isDir = statSync(source).isDirectory();
    } catch {
      throw flagError('--volume', `${m.host}:/${m.target.join('/')}`, `${m.host} does not exist on the host`);
    }
    volumeSources.push(source);
    targets.push({ parts: m.target, kind: isDir ? 'directory' : 'file', what: `--volume ${m.host}` });
  }
  const initEntries = await planInitLayer(lowerDirs, targets);
  const workdir = (spec.box.process.workdir ?? '/').split('/').filter(Boolean);
  const workdirEntries = await planWorkdir(lowerDirs, initEntries, workdir);
  const user = await resolveBoxUser(lowerDirs, spec.user);
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
    masked: probeKernelPaths(MASKED_PATHS),
    readonly: probeKernelPaths(READONLY_PATHS),
    toolbox: resolveToolbox(join(store.root, 'toolbox.json')),
    console: process.stdin.isTTY === true,
  };
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
