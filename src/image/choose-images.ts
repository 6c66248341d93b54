// Decides which images of a source an import takes, and under which names. Pure: unit-tested.
//
// Docker's rules where it has them: `docker load` of a `docker save` archive takes every image under each of its
// RepoTags. An OCI index with several images is never guessed from: SOURCE:TAG names one (its ref.name).

import { NsboxError } from '../errors.js';
import { parseImageRef, type ImageRef } from './reference.js';

/** What the chooser needs of a source image (see SourceImage). */
export interface Choosable {
  readonly selectors: readonly string[];
  readonly refs: readonly string[];
  readonly label: string;
}

export interface Chosen<T extends Choosable> {
  readonly image: T;
  /** One record per name (a docker save image with two RepoTags becomes two names of the same layers). */
  readonly names: readonly ImageRef[];
}

export interface ChooseRequest {
  /** The source as the user gave it (for messages). */
  readonly source: string;
  /** TAG from SOURCE:TAG. */
  readonly selector?: string;
  /** NAME[:TAG] from the command line. */
  readonly name?: ImageRef;
  /** docker save archives load every image when no NAME is given; an OCI index does not. */
  readonly takeAll: boolean;
}

/** The images to import and the names for each; a request that would need a guess is an NsboxError. */
export function chooseImages<T extends Choosable>(images: readonly T[], request: ChooseRequest): readonly Chosen<T>[] {
  const { source, selector, name } = request;
  const listed = (): string => images.map((i) => i.label).join(', ');
  let chosen: readonly T[];
  if (selector !== undefined) {
    const wanted = normalizeRepoName(selector);
    const matches = images.filter((i) => i.selectors.some((s) => s === selector || normalizeRepoName(s) === wanted));
    if (matches.length === 0) throw new NsboxError(`cannot import ${source}:${selector}: no image there is tagged ${JSON.stringify(selector)} (it has ${listed()})`);
    if (matches.length > 1) throw new NsboxError(`cannot import ${source}:${selector}: ${matches.length} images there are tagged ${JSON.stringify(selector)}`);
    chosen = matches;
  } else if (images.length === 1) {
    chosen = images;
  } else if (!request.takeAll || name !== undefined) {
    throw new NsboxError(`cannot import ${source}: it holds ${images.length} images (${listed()}); nsbox will not guess which`, {
      hint: `name one: nsbox image import ${source}:TAG${name ? ` ${name.name}:${name.tag}` : ' [NAME]'}`,
    });
  } else {
    chosen = images;
  }
  return chosen.map((image) => {
    if (name) return { image, names: [name] };
    const refs = image.refs.map((r) => parseImageRef(normalizeRepoName(r), `image name ${JSON.stringify(r)} in ${source}`));
    if (refs.length === 0) {
      throw new NsboxError(`cannot import ${source}: ${image.label} has no name in the source (no RepoTags or image name annotation)`, {
        hint: `give one: nsbox image import ${source}${selector !== undefined ? `:${selector}` : ''} NAME[:TAG]`,
      });
    }
    return { image, names: refs };
  });
}

/** Docker Hub's implicit prefixes dropped, as `docker images` shows names: docker.io/library/busybox -> busybox. */
export function normalizeRepoName(name: string): string {
  return name.replace(/^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\/(library\/)?/, '');
}
