// What `create` did, as a runnable sh script with its reasons (saved as plan.sh; `nsbox-runtime explain ID`).

import { quoteArgv, quoteTemplate, quoteWord } from '../plan/quote.js';
import type { Step } from '../plan/types.js';

export interface RuntimePlan {
  readonly title: string;
  /** Host-side steps before the launch (state dir, gate, cgroups). */
  readonly steps: readonly Step[];
  /** The scripts the launch runs, by name, in order. */
  readonly scripts: readonly { readonly name: string; readonly why: string; readonly text: string }[];
  /** The launch argv; a word "$name" stands for script `name`. */
  readonly launch: readonly string[];
  readonly launchWhy: string;
  /** Host-side steps once the init said "ready" and waits at its gate; {box} is its pid (process limits). */
  readonly afterReady?: readonly Step[];
}

/** The plan as sh: each step under its why, the scripts as heredocs, the launch last. */
export function renderRuntimePlan(plan: RuntimePlan): string {
  const out = ['#!/bin/sh', ...plan.title.split('\n').map((l) => `# ${l}`), '# Written by nsbox-runtime create: what it ran, in order. Run it as root with sh to make the same container.', 'set -eu'];
  for (const step of plan.steps) {
    out.push('', ...step.why.split('\n').map((l) => `# ${l}`), ...renderStep(step));
  }
  for (const script of plan.scripts) {
    const end = delimiter(script.text);
    out.push('', `# Script "${script.name}": ${script.why}`, `${script.name}=$(cat <<'${end}'`, script.text, end, ')');
  }
  const words = plan.launch.map((w) => (plan.scripts.some((s) => `$${s.name}` === w) ? `"${w}"` : quoteWord(w)));
  out.push('', ...plan.launchWhy.split('\n').map((l) => `# ${l}`));
  const after = plan.afterReady ?? [];
  if (after.length === 0) {
    out.push(`${words.join(' ')} 3>&2`, '');
    return out.join('\n');
  }
  // The forker says "pid N" on fd 3 and the init "ready" before it closes it: the pipe's end means it waits at its gate.
  out.push(
    '# Its fd 3 says "pid N" (the init\'s host pid) and "ready"; set-up failures go to stderr.',
    'exec 9>&1',
    `box=$( { ${words.join(' ')} 3>&1 1>&9 9>&-; } | sed -n 's/^pid //p; /^failed: /w /dev/stderr')`,
    '[ -n "$box" ]',
  );
  for (const step of after) out.push('', ...step.why.split('\n').map((l) => `# ${l}`), ...renderStep(step));
  out.push('');
  return out.join('\n');
}

/** One step as sh lines (a {name} in a path or argv is "${name}"). */
export function renderStep(step: Step): string[] {
  switch (step.kind) {
    case 'exec':
      return [quoteArgv(step.argv)];
    case 'write-file':
      return [`printf '%s\\n' ${quoteWord(step.content)} > ${quoteTemplate(step.path)}`];
    case 'write-text': {
      // A delimiter no line of the content is: a content line "NSBOX_EOF" would end the heredoc early, and the lines
      // after it would run as commands.
      const end = delimiter(step.content);
      return [`cat > ${quoteWord(step.path)} <<'${end}'`, ...step.content.replace(/\n$/, '').split('\n'), end];
    }
    case 'mkdir':
      return [`mkdir ${quoteWord(step.path)}`];
    default:
      return [`# (${step.kind})`];
  }
}

function delimiter(text: string): string {
  const lines = new Set(text.split('\n'));
  let end = 'NSBOX_EOF';
  for (let n = 1; lines.has(end); n++) end = `NSBOX_EOF_${n}`;
  return end;
}
