// STUB (the image runtime replaces it): `nsbox run [flags] IMAGE [CMD...]` and `nsbox run --rootfs DIR [-- CMD...]`.
import { NsboxError } from '../errors.js';

/**
 * `command` is everything after the flags: [IMAGE, CMD...] when `afterDash` is false, or the CMD after `--` (with
 * --rootfs). Resolves to nsbox's exit code.
 */
export async function runImageBox(_args: Record<string, unknown>, command: readonly string[], afterDash: boolean, _title: string): Promise<number> {
  const image = afterDash ? undefined : command[0];
  throw new NsboxError(`running images is not implemented yet${image ? ` (asked for ${JSON.stringify(image)})` : ''}: to run a host command, put it after --`);
}
