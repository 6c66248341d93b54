// `nsbox lab [STEP...]`, `lab list`, `lab task STEP`, `lab check STEP PID`: a guided walk through the kernel
// features a container is made of, and an exercise mode that grades what a student built by hand.

import type { Argv } from 'yargs';
import type { NsboxCommand } from './command.js';
import { existsSync } from 'node:fs';
import { NsboxError } from '../errors.js';

interface LabArgs {
  action: string | undefined;
  operands: (string | number)[];
  json: boolean;
}

export const command: NsboxCommand<LabArgs> = {
  usage: 'lab [action] [operands..]',
  describe: 'a guided lab: each kernel feature of a container, shown, run and proved from the host (lab list; lab task STEP; lab check STEP PID)',
  builder: (y: Argv) =>
    y
      .positional('action', { type: 'string', describe: 'a step (uts, ipc, pid, mount, user, net, cgroup, pivot, overlay, exec), all, list, task or check' })
      .positional('operands', { type: 'string', array: true, describe: 'more steps; or STEP (task) or STEP PID (check)' })
      .option('json', { type: 'boolean', default: false, describe: 'print the results as JSON (for graders)' })
      .example('$0 lab', 'every step in order')
      .example('$0 lab pid', 'one step')
      .example('$0 lab task uts', 'an exercise; then do it by hand with unshare and: nsbox lab check uts PID') as unknown as Argv<LabArgs>,
  async handler(args) {
    const { STEPS, findStep } = await import('../lab/steps.js');
    const operands = (args.operands ?? []).map(String);
    const action = args.action ?? 'all';
    const step = (id: string | undefined) => {
      const found = id === undefined ? undefined : findStep(id);
      if (!found) throw new NsboxError(`unknown lab step ${JSON.stringify(id ?? '')}: one of ${STEPS.map((s) => s.id).join(', ')}`);
      return found;
    };
    if (action === 'list') {
      const rows = STEPS.map((s, i) => ({ step: i + 1, id: s.id, title: s.title }));
      process.stdout.write(args.json ? `${JSON.stringify(rows, null, 2)}\n` : rows.map((r) => `${String(r.step).padStart(2)}. ${r.id.padEnd(8)} ${r.title}\n`).join(''));
      return 0;
    }
    if (action === 'task') {
      const s = step(operands[0]);
      process.stdout.write(args.json ? `${JSON.stringify({ id: s.id, task: s.task })}\n` : `${s.title}\n${s.idea}\n\nTask: ${s.task}\n`);
      return 0;
    }
    if (action === 'check') {
      const s = step(operands[0]);
      const pid = Number(operands[1]);
      if (!Number.isInteger(pid) || pid <= 0) throw new NsboxError('usage: nsbox lab check STEP PID (the pid of the process you started, as the host sees it)');
      if (!existsSync(`/proc/${pid}`)) throw new NsboxError(`no process ${pid}`);
      const observations = s.check(pid);
      const ok = observations.every((o) => o.ok);
      if (args.json) process.stdout.write(`${JSON.stringify({ id: s.id, pid, ok, observations }, null, 2)}\n`);
      else {
        process.stdout.write(`${s.id}: checking pid ${pid} from /proc\n`);
        for (const o of observations) process.stdout.write(`  ${o.ok ? '✓' : '✗'} ${o.what}\n      ${o.observed}\n`);
        process.stdout.write(ok ? `${s.id}: done ✓\n` : `${s.id}: not yet: ${observations.filter((o) => !o.ok).map((o) => o.what).join('; ')}\n`);
      }
      return ok ? 0 : 1;
    }
    const ids = action === 'all' ? [] : [action, ...operands].map((id) => step(id).id);
    const { runLab } = await import('../lab/run-lab.js');
    const run = runLab(ids, args.json ? () => undefined : (text) => process.stdout.write(text));
    if (args.json) process.stdout.write(`${JSON.stringify({ ok: run.ok, steps: run.results }, null, 2)}\n`);
    return run.ok ? 0 : 1;
  },
};
