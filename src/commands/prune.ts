// `container prune`, `image prune`, `volume prune`, `network prune` and `system prune`: Docker's question (unless -f),
// then the removals of src/commands/prune-actions.ts, and Docker's report.

import { NsboxError } from '../errors.js';
import { describeState, resolveStateRoot } from '../state/paths.js';
import { resolveStoreRoot } from '../image/store.js';
import { confirmPrune, formatPruned, pruneContainers, pruneImages, pruneNetworks, pruneVolumes, type Pruned } from './prune-actions.js';

export type PruneKind = 'container' | 'image' | 'volume' | 'network' | 'system';

export interface PruneOptions {
  readonly force: boolean;
  /** image/system: every image no box uses; volume: every unused volume, not only anonymous ones. */
  readonly all: boolean;
  /** system: volumes too. */
  readonly volumes: boolean;
  /** --filter: not supported yet (refused, not ignored: a prune that removes more than asked is the wrong failure). */
  readonly filter: readonly string[];
  readonly root: string | undefined;
  readonly state: string | undefined;
}

/** Docker's warning for each prune (the same words, nsbox's meaning of them in the README). */
export function pruneWarning(kind: PruneKind, options: Pick<PruneOptions, 'all' | 'volumes'>): string {
  const images = options.all ? 'all images without at least one container associated to them' : 'all dangling images (layers no image refers to)';
  const volumes = options.all ? 'all local volumes not used by at least one container' : 'anonymous local volumes not used by at least one container';
  switch (kind) {
    case 'container':
      return 'WARNING! This will remove all stopped containers.';
    case 'image':
      return `WARNING! This will remove ${images}.`;
    case 'volume':
      return `WARNING! This will remove ${volumes}.`;
    case 'network':
      return 'WARNING! This will remove all custom networks not used by at least one container.';
    case 'system': {
      const items = ['all stopped containers', 'all networks not used by at least one container', ...(options.volumes ? ['all anonymous volumes not used by at least one container'] : []), images];
      return `WARNING! This will remove:\n${items.map((i) => `  - ${i}`).join('\n')}\n`;
    }
  }
}

/** Asks (unless --force), prunes, prints; the exit code is 0, or the first failed removal's. */
export async function runPrune(kind: PruneKind, options: PruneOptions): Promise<number> {
  if (options.filter.length > 0) throw new NsboxError(`${kind} prune --filter is not supported yet`, { hint: `nsbox ${kind} prune without --filter removes every unused one; nsbox rm / rmi / volume rm remove chosen ones` });
  // Declined: nothing removed, exit 0 (docker's answer too).
  if (!options.force && !confirmPrune(pruneWarning(kind, options))) return 0;
  const state = describeState(resolveStateRoot(options.state));
  const root = resolveStoreRoot(options.root);
  const sections: [string, Pruned][] = [];
  // Containers first: what they held (images, volumes, networks) is unused once they are gone, as in docker.
  if (kind === 'container' || kind === 'system') sections.push(['Deleted Containers', await pruneContainers(state, root)]);
  if (kind === 'network' || kind === 'system') sections.push(['Deleted Networks', await pruneNetworks(state)]);
  if (kind === 'volume' || (kind === 'system' && options.volumes)) sections.push(['Deleted Volumes', await pruneVolumes(root, kind === 'volume' && options.all, state)]);
  if (kind === 'image' || kind === 'system') sections.push(['Deleted Images', await pruneImages(root, options.all, state)]);
  process.stdout.write(formatPruned(sections, kind !== 'network'));
  return sections.find(([, p]) => p.failed !== 0)?.[1].failed ?? 0;
}
