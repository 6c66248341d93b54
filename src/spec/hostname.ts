// Checks a hostname the way the kernel and RFC 1123 allow: at most 64 bytes, dot-separated labels.

import { flagError } from '../errors.js';

const LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
/** HOST_NAME_MAX / __NEW_UTS_LEN. */
const MAX_BYTES = 64;

/** Returns the hostname unchanged if valid; throws an error naming --hostname otherwise. */
export function validateHostname(name: string): string {
  if (name === '') throw flagError('--hostname', name, 'must not be empty');
  if (Buffer.byteLength(name) > MAX_BYTES) throw flagError('--hostname', name, `longer than ${MAX_BYTES} bytes`);
  if (!name.split('.').every((label) => LABEL.test(label))) {
    throw flagError('--hostname', name, 'use letters, digits and hyphens, in dot-separated labels not starting or ending with a hyphen');
  }
  return name;
}
