// Which box records of a state dir name an image or a named volume. A created box has no container directory in the
// store yet (ROOT/containers/<id>, which rmi and volume rm read), so only its record says it will need them at start.

import { listBoxes } from './list-boxes.js';
import type { StatePaths } from '../state/paths.js';
import type { BoxRecord } from '../state/record.js';

/** The boxes whose record runs image `ref` ("name:tag") or `id`. */
export function boxesUsingImage(state: StatePaths, ref: string, id: string): BoxRecord[] {
  return listBoxes(state).map((b) => b.record).filter((r) => r.image === ref || r.image === id);
}

/** The boxes whose -v / --mount names volume `name`. */
export function boxesUsingVolume(state: StatePaths, name: string): BoxRecord[] {
  return listBoxes(state).map((b) => b.record).filter((r) => (r.config?.volumes ?? []).some((v) => v.kind === 'bind' && v.source === name));
}
