// Where the bundle's V8 code cache lives: one file per subcommand and bundle build, beside the bundle.

import { basename, dirname, join } from 'node:path';

/** The full bundle (src/main.ts): every command. */
export const FULL_BUNDLE = 'nsbox.cjs';
/** The box bundle (src/box-main.ts): run, sh and create on their fast path, a third of the full bundle's code. */
export const BOX_BUNDLE = 'nsbox-box.cjs';

/**
 * Which bundle start.ts runs first for nsbox's arguments (after bin/nsbox's "--"): a line that begins with run, sh or
 * create the box bundle (it hands what its fast path does not take to the full one), any other the full bundle.
 */
export function bundleFor(words: readonly string[]): string {
  const word = words[0];
  return word === 'run' || word === 'sh' || word === 'create' ? BOX_BUNDLE : FULL_BUNDLE;
}

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
  'run', 'sh', 'ns', 'doctor', 'image', 'images', 'rmi', 'volume', 'network', 'ps', 'logs', 'attach', 'exec', 'cp', 'start', 'stop', 'restart',
  'kill', 'pause', 'unpause', 'rm', 'rename', 'create', 'wait', 'inspect', 'port', 'stats', 'top', 'gc', 'box-exited', 'commit', 'export', 'diff', 'update', 'version', 'lab', 'completion',
  'manpage', '__complete', 'load', 'save', 'tag', 'history', 'container', 'system', 'info', 'pull', 'build', 'push', 'login', 'logout', 'search',
];

/**
 * V8 caches the functions compiled by the run that wrote the cache (it compiles lazily), so each subcommand keeps
 * its own: `run` then reads the code `run` needs, not what `ps` compiled. `run` has one per kind of box
 * (host root, image, detached: each runs other code), else the first box after a build decided for all of them
 * (an image box then compiled its whole path again at every start when a host-root box had come first).
 * The stamp is in the name: a rebuilt bundle never meets the code of the old one. The directory is exactly as
 * trusted as the bundle itself.
 */
export function codeCacheFile(bundle: string, stamp: BundleStamp, args: readonly string[]): CodeCacheFile {
  const words = args[0] === '--' ? args.slice(1) : args;
  const word = words[0];
  const command = word !== undefined && CACHED_COMMANDS.includes(word) ? word : 'other';
  const key = word === '--nsbox-runtime' ? runtimeKey(words.slice(1)) : command === 'run' ? `run${boxVariant(words.slice(1))}` : command;
  const prefix = `${basename(bundle)}.${key}.`;
  return { dir: join(dirname(bundle), '.cache'), prefix, name: `${prefix}${Math.trunc(stamp.mtimeMs)}-${stamp.size}-${stamp.ino}.v8` };
}

/** nsbox-runtime's subcommands (runc's): each its own cache, as for nsbox's (create runs far more code than state). */
const RUNTIME_COMMANDS = ['create', 'start', 'state', 'kill', 'delete', 'run', 'exec', 'list', 'ps', 'pause', 'resume', 'update', 'features', 'spec', 'explain'];
/** runc's global flags that take a value (`--root DIR`): the subcommand is the first other word. */
const RUNTIME_VALUE_FLAGS = ['--root', '--log', '--log-format', '--criu', '--rootless'];

function runtimeKey(words: readonly string[]): string {
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (RUNTIME_VALUE_FLAGS.includes(w)) i++;
    else if (!w.startsWith('-')) return `runtime-${RUNTIME_COMMANDS.includes(w) ? w : 'other'}`;
  }
  return 'runtime-other';
}

/**
 * Which kind of box a run command line asks for, from its words alone (before any parsing: a wrong guess only
 * costs the start-up time the cache would save): "-d" detached, "-image" a root of its own (no `--`, or --rootfs),
 * "-host" the host's root (flags, then `--`).
 */
function boxVariant(words: readonly string[]): string {
  const end = words.indexOf('--');
  const flags = end === -1 ? words : words.slice(0, end);
  // -d alone or among short flags (-dit)
  if (flags.some((w) => w === '--detach' || /^-[a-zA-Z]*d[a-zA-Z]*$/.test(w))) return '-d';
  return end === -1 || flags.includes('--rootfs') || flags.some((w) => w.startsWith('--rootfs=')) ? '-image' : '-host';
}
