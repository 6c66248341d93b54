// Docker's other spellings of nsbox's commands, turned into nsbox's own before parsing: `docker container X` is the
// top-level X (`container ls` is ps), `image list` is `image ls`, `image load|pull|push|build` the top-level ones.
// Pure and import-free: it runs before every command.

/** docker container's subcommands that are nsbox's top-level commands of the same name. */
const CONTAINER_COMMANDS = [
  'attach', 'commit', 'cp', 'create', 'diff', 'exec', 'export', 'inspect', 'kill', 'logs', 'pause', 'port', 'rename',
  'restart', 'rm', 'run', 'start', 'stats', 'stop', 'top', 'unpause', 'update', 'wait',
];
/** docker image's subcommands that are top-level commands in nsbox. */
const IMAGE_COMMANDS = ['load', 'pull', 'push', 'build'];

/** argv with a Docker spelling replaced by nsbox's (unchanged when there is none); isCommand: nsbox has it. */
export function rewriteDockerWords(argv: readonly string[], isCommand: (name: string) => boolean): readonly string[] {
  const [first, second, ...rest] = argv;
  if (first === 'container' && second !== undefined) {
    if (second === 'ls' || second === 'list' || second === 'ps') return ['ps', ...rest];
    if (CONTAINER_COMMANDS.includes(second) && isCommand(second)) return [second, ...rest];
  }
  if (first === 'image' && second !== undefined) {
    if (second === 'list') return ['image', 'ls', ...rest];
    if (IMAGE_COMMANDS.includes(second) && isCommand(second)) return [second, ...rest];
  }
  // docker import FILE NAME: a root file system tarball made an image (nsbox's image import).
  if (first === 'import' && !isCommand('import')) return ['image', 'import', ...argv.slice(1)];
  return argv;
}
