// `--group-add GROUP` (docker run's): supplementary groups of the command besides its user's own, each a gid or a name
// looked up in the box's /etc/group (the image's, read from its layers as for --user). Pure: the shape only here.

import { flagError } from '../errors.js';

/** The values as given, in order, duplicates dropped; a name must be one /etc/group can hold (no ":", "," or spaces). */
export function parseGroupAdd(values: readonly string[]): readonly string[] {
  for (const value of values) {
    if (/^\d+$/.test(value)) {
      if (Number(value) > 4294967294) throw flagError('--group-add', value, 'gid out of range');
    } else if (!/^[A-Za-z0-9_.][A-Za-z0-9_.-]*\$?$/.test(value)) {
      throw flagError('--group-add', value, 'expected a gid or a group name');
    }
  }
  return [...new Set(values)];
}
