// `nsbox exec --explain/--dry-run`: the exec as a sh script to read, the way `run --dry-run` prints its plan. The
// argv is exactly the one nsbox spawns; the environment is shown as env(1) would set it.

import { quoteLiteralArgv, quoteWord } from '../plan/quote.js';

export interface ExecExplainInput {
  readonly label: string;
  readonly argv: readonly string[];
  /** The environment nsbox gives argv[0]. */
  readonly env: NodeJS.ProcessEnv;
  /** true: argv[0] gets exactly `env` (an image box); false: nsbox's own environment plus `added` (a host-root box). */
  readonly fixedEnv: boolean;
  /** Host-root boxes: the variables the box and -e add to nsbox's environment. */
  readonly added: Readonly<Record<string, string>>;
  readonly tty: boolean;
  readonly detach: boolean;
}

/** The script: comments say why, the last line is what exec runs. */
export function explainExec(input: ExecExplainInput): string {
  const lines = [`# nsbox exec in box ${input.label}${input.tty ? ' (-t: the relay runs the command on a new pty from the box\'s own devpts)' : ''}${input.detach ? ' (-d: nsbox returns once the command has started)' : ''}`];
  let envWords: string[];
  if (input.fixedEnv) {
    lines.push(
      '# Image box: the host tools get a fixed environment; the command\'s own (the box\'s, -e) is set inside, after the',
      '# capability drop, by the last process before the command.',
    );
    envWords = ['env', '-i', ...Object.entries(input.env).map(([k, v]) => `${k}=${v ?? ''}`)];
  } else {
    lines.push('# Host-root box: nsenter and the command inherit nsbox\'s environment, plus the box\'s and -e\'s variables.');
    const added = Object.entries(input.added);
    envWords = added.length > 0 ? ['env', ...added.map(([k, v]) => `${k}=${v}`)] : [];
  }
  lines.push('# Enter every namespace of the box\'s PID 1 (and its cgroup), then become the box\'s user with its capabilities.');
  lines.push([...envWords.map(quoteWord), quoteLiteralArgv(input.argv)].join(' '));
  return `${lines.join('\n')}\n`;
}
