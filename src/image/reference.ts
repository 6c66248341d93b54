// Parses and validates image references NAME[:TAG] (Docker's grammar, lower case, no registry digests).

import { NsboxError } from '../errors.js';

export interface ImageRef {
  readonly name: string;
  readonly tag: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Parses "name[:tag]" (tag defaults to "latest"); what names the argument in errors is `what`. */
export function parseImageRef(text: unknown, what = 'image name'): ImageRef {
  if (typeof text !== 'string' || text === '') throw new NsboxError(`invalid ${what}: expected NAME[:TAG]`);
  const colon = text.lastIndexOf(':');
  const slash = text.lastIndexOf('/');
  const hasTag = colon > slash;
  const name = hasTag ? text.slice(0, colon) : text;
  const tag = hasTag ? text.slice(colon + 1) : 'latest';
  const bad = (reason: string): NsboxError => new NsboxError(`invalid ${what} ${JSON.stringify(text)}: ${reason}`);
  if (name.length > 255) throw bad('name longer than 255 characters');
  if (!name.split('/').every((c) => COMPONENT.test(c))) {
    throw bad('a name is lower-case letters, digits and . _ - separators, in /-separated parts');
  }
  if (!TAG.test(tag)) throw bad('a tag is letters, digits, _ . - (at most 128, not starting with . or -)');
  return { name, tag };
}

/** "name:tag", the canonical text of a reference. */
export function formatImageRef(ref: ImageRef): string {
  return `${ref.name}:${ref.tag}`;
}
