// `run --cidfile FILE` / `create --cidfile FILE`, by Docker's rules: a FILE that exists is refused (another box may
// own it); FILE is made (O_EXCL: never through a link, never a file someone made meanwhile) before the box is, holds
// the box's id once the box is recorded, and is removed again when the box is not made after all.

import { closeSync, fstatSync, lstatSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { NsboxError, flagError } from '../errors.js';

/** The FILE of --cidfile, or undefined (not given, or "" as Docker takes it: none). */
export function cidFileOf(args: Readonly<Record<string, unknown>>): string | undefined {
  const value = args.cidfile;
  if (value === undefined || value === '') return undefined;
  if (Array.isArray(value)) throw flagError('--cidfile', value.join(' '), 'given more than once');
  return String(value);
}

/** Refuses a FILE that exists (a dangling link too), before anything is made. */
export function checkCidFile(path: string): void {
  let exists = true;
  try {
    lstatSync(path);
  } catch {
    exists = false;
  }
  if (exists) throw flagError('--cidfile', path, 'the file exists: make sure the box it names is not running, or delete it');
}

export interface CidFile {
  /** Writes the box's id (once the box is recorded). */
  write(id: string): void;
  /** The box was not made: remove FILE, if it is still the one made here. */
  remove(): void;
}

/** Makes FILE, empty, exclusively. */
export function createCidFile(path: string): CidFile {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o644);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') checkCidFile(path);
    throw new NsboxError(`cannot create --cidfile ${JSON.stringify(path)}: ${code === 'ENOENT' ? 'no such directory' : (error as Error).message}`);
  }
  const made = fstatSync(fd);
  let open = true;
  const close = () => {
    if (open) closeSync(fd);
    open = false;
  };
  return {
    write(id) {
      writeSync(fd, id);
      close();
    },
    remove() {
      close();
      try {
        const now = lstatSync(path);
        if (now.ino === made.ino && now.dev === made.dev) unlinkSync(path);
      } catch {
        // gone already
      }
    },
  };
}
