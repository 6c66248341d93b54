// Where the bundle's V8 code cache lives: one file per subcommand and bundle build, beside the bundle.

import { basename, dirname, join } from 'node:path';

/** What identifies one build of the bundle: V8 itself checks only the source's length, not its text. */
export interface BundleStamp {
  readonly mtimeMs: number;
  readonly size: number;
  readonly ino: number;
}

export interface CodeCacheFile {
  readonly dir: string;
  /** The file's name; other names with the same prefix are older builds' caches of the same subcommand. */
  readonly name: string;
  readonly prefix: string;
}

/** cli.ts's commands (a unit test keeps the two lists equal): each has a cache; any other first word shares "other". */
export const CACHED_COMMANDS: readonly string[] = [
  'run', 'sh', 'ns', 'doctor', 'image', 'images', 'rmi', 'volume', 'network', 'ps', 'logs', 'exec', 'start', 'stop', 'restart',
  'kill', 'rm', 'wait', 'inspect', 'port', 'stats', 'top', 'gc', 'box-exited', 'commit', 'export', 'version', 'lab', 'completion',
  'manpage', '__complete',
];

/**
 * V8 caches the functions compiled by the run that wrote the cache (it compiles lazily), so each subcommand keeps
 * its own: `run` then reads the code `run` needs, not what `ps` compiled.
 * The stamp is in the name: a rebuilt bundle never meets the code of the old one. The directory is exactly as
 * trusted as the bundle itself.
 */
export function codeCacheFile(bundle: string, stamp: BundleStamp, args: readonly string[]): CodeCacheFile {
  const word = args.find((a) => a !== '--');
  const key = word !== undefined && CACHED_COMMANDS.includes(word) ? word : 'other';
  const prefix = `${basename(bundle)}.${key}.`;
  return { dir: join(dirname(bundle), '.cache'), prefix, name: `${prefix}${Math.trunc(stamp.mtimeMs)}-${stamp.size}-${stamp.ino}.v8` };
}
