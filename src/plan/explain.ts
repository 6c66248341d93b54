// --explain (the full runnable script) and --explain=steps (the short one for people), on stderr.

import { NsboxError } from '../errors.js';
import { renderShell } from './render-shell.js';
import { renderSteps } from './render-steps.js';
import type { Plan } from './types.js';

/** `--explain=steps` -> `--explain --explain-steps`, `--explain=full` -> `--explain` (flags only, before the command). */
export function rewriteExplainFlag(flags: readonly string[]): string[] {
  return flags.flatMap((word) => {
    if (!word.startsWith('--explain=')) return [word];
    const value = word.slice('--explain='.length);
    if (value === 'steps') return ['--explain', '--explain-steps'];
    if (value === 'full' || value === 'true') return ['--explain'];
    throw new NsboxError(`invalid ${word}: use --explain (the full sh script) or --explain=steps (the short list)`);
  });
}

/** The plan as --explain/--dry-run asked: the full script, or (--explain=steps) the numbered steps. */
export function planText(plan: Plan, args: Readonly<Record<string, unknown>>): string {
  return args['explain-steps'] ? renderSteps(plan) : renderShell(plan);
}

/** --explain: the plan on stderr, before it runs. */
export function explainPlan(plan: Plan, args: Readonly<Record<string, unknown>>): void {
  process.stderr.write(planText(plan, args));
}
