// process.rlimits and process.oomScoreAdj, set from the host as runc's parent does, on the created init (a plan's
// afterReady steps) and on an exec's process (lines of its host-side shell). Pure.

import type { Step } from '../plan/types.js';
import type { OciProcess } from '../oci/container.js';
import { rlimitStep } from '../plan/rlimit-step.js';
import { renderStep } from './render-plan.js';

/**
 * The limits as steps on the process {box}: inside a user namespace a process may neither raise a hard limit nor
 * lower its OOM score (both need CAP_SYS_RESOURCE of the host's namespace), so the host sets them. The process
 * inherits both through its exec. Nothing to undo: they end with the process. `rlimits` false: the init sets those
 * itself (create.ts's limitsInside).
 */
export function processLimitSteps(p: OciProcess, rlimits = true): Step[] {
  const steps: Step[] = [];
  if (rlimits && p.rlimits.length > 0) steps.push(rlimitStep(p.rlimits, 'process.rlimits, on the init from the host (it waits at its gate; the process inherits them).'));
  if (p.oomScoreAdj !== undefined) steps.push({ kind: 'write-file', path: '/proc/{box}/oom_score_adj', content: String(p.oomScoreAdj), why: 'process.oomScoreAdj, from the host (a lower score needs the host\'s CAP_SYS_RESOURCE).' });
  return steps;
}

/**
 * `exec`: the same steps as sh lines of its host-side shell, on that shell itself ($$) just before it nsenters, so
 * the shell nsenter becomes and the process it forks inherit them (runc's exec sets both as well). A failure is a
 * set-up failure: its words on `messagesFd` (where the shell's stderr goes too), exit 125, nothing started.
 */
export function execLimitLines(p: OciProcess, messagesFd = 3): string[] {
  const steps = processLimitSteps(p);
  if (steps.length === 0) return [];
  return [
    '# process.rlimits and process.oomScoreAdj, set here in the host\'s user namespace (a user namespace\'s root could',
    '# neither raise a hard limit nor lower the score); the process inherits them through nsenter and its exec.',
    'box=$$',
    ...steps.flatMap((s) => renderStep(s).map((line) => `${line} || { echo "failed: ${s.kind === 'exec' ? 'set process.rlimits' : 'set process.oomScoreAdj'}" >&${messagesFd}; exit 125; }`)),
  ];
}
