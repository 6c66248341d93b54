// Runs lab steps: says what the kernel feature is, shows the one nsbox command and the plan lines that matter,
// runs it for real, proves the effect from the host, and removes what it made. Everything printed is the real
// output of what ran (nothing canned).

import { mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { STEPS, type LabBox, type LabContext, type LabStep, type Observation } from './steps.js';
import { describeState } from '../state/paths.js';
import { resolveBoxRef } from '../state/names.js';
import { loadRecord } from '../state/store.js';

export interface StepResult {
  readonly id: string;
  readonly title: string;
  readonly command: string;
  readonly plan: readonly string[];
  readonly observations: readonly Observation[];
  readonly ok: boolean;
  readonly error?: string;
}

type Print = (text: string) => void;

/** nsbox itself, run again as a child (the same bundle and node), with the lab's private state and store. */
function nsboxRunner(env: NodeJS.ProcessEnv): LabContext['nsbox'] {
  return (args) => {
    const r = spawnSync(process.execPath, [process.argv[1]!, '--', ...args], { encoding: 'utf8', env, timeout: 120_000 });
    return { code: r.status ?? 128 + 9, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${r.error ? r.error.message : ''}` };
  };
}

function quote(args: readonly string[]): string {
  return args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** The steps' `--explain=steps` lines that match, each reason with its command. */
function planLines(ctx: LabContext, args: readonly string[], wanted: RegExp): string[] {
  const r = ctx.nsbox([...args.slice(0, 1), '--dry-run', '--explain=steps', ...args.slice(1)]);
  const lines = r.stdout.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length && out.length < 8; i++) {
    const line = lines[i]!;
    if (/^\s+\$ /.test(line) && wanted.test(line)) {
      const reason = lines[i - 1]?.trim();
      if (reason && /^\d+\./.test(reason)) out.push(reason);
      out.push(line.length > 200 ? `${line.slice(0, 200)} …` : line);
    } else if (/^\s{8}\S/.test(line) && wanted.test(line)) out.push(line.length > 200 ? `${line.slice(0, 200)} …` : line);
  }
  return out;
}

/** Waits until the box has its PID 1 recorded, then returns it. */
function waitForBox(stateRoot: string, name: string): LabBox {
  const state = describeState(stateRoot);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const id = resolveBoxRef(state, name);
    const record = loadRecord(state, id);
    if (record.init?.pid) return { pid: record.init.pid, name, id };
    if (Date.now() > deadline) throw new Error(`box ${name} has no PID 1 after 15 s`);
    spawnSync('sleep', ['0.05']);
  }
}

/** Proves until every observation holds or 5 s pass (a box's command may still be setting itself up). */
function proveSettled(step: LabStep, box: LabBox, ctx: LabContext): Observation[] {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const observations = step.prove(box, ctx);
    if (observations.every((o) => o.ok) || Date.now() > deadline) return observations;
    spawnSync('sleep', ['0.1']);
  }
}

export interface LabRun {
  readonly results: StepResult[];
  readonly ok: boolean;
}

/** Runs the given steps (all when empty), printing as it goes unless `json`. */
export function runLab(stepIds: readonly string[], print: Print): LabRun {
  const steps = stepIds.length ? STEPS.filter((s) => stepIds.includes(s.id)) : [...STEPS];
  const scratch = mkdtempSync(join(tmpdir(), 'nsbox-lab-'));
  const env = { ...process.env, NSBOX_STATE: join(scratch, 'state'), NSBOX_ROOT: join(scratch, 'store') };
  const ctx: LabContext = { scratch, storeRoot: env.NSBOX_ROOT, nsbox: nsboxRunner(env) };
  const results: StepResult[] = [];
  try {
    if (steps.some((s) => s.image)) {
      const r = ctx.nsbox(['image', 'import', '--from-host-busybox', 'busybox']);
      if (r.code !== 0) throw new Error(`cannot make the lab's busybox image: ${r.stderr.trim().split('\n').pop()}`);
    }
    steps.forEach((step, i) => {
      print(`\n== ${i + 1}/${steps.length} ${step.id}: ${step.title} ==\n${step.idea}\n`);
      results.push(runStep(step, ctx, env.NSBOX_STATE, print));
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const ok = results.length > 0 && results.every((r) => r.ok);
  print(`\n${results.filter((r) => r.ok).length} of ${results.length} steps proved${ok ? '' : '; see ✗ above'}\n`);
  return { results, ok };
}

function runStep(step: LabStep, ctx: LabContext, stateRoot: string, print: Print): StepResult {
  const name = `lab-${step.id}-${randomBytes(3).toString('hex')}`;
  const args = ['run', '-d', '--name', name, ...step.args(ctx)];
  const command = `nsbox ${quote(args)}`;
  const plan = planLines(ctx, args, step.planLines);
  print(`$ ${command}\n`);
  if (plan.length) print(`the plan lines that matter (nsbox run --explain=steps):\n${plan.join('\n')}\n`);
  let observations: Observation[] = [];
  let error: string | undefined;
  try {
    const started = ctx.nsbox(args);
    if (started.code !== 0) throw new Error(`nsbox exited ${started.code}: ${started.stderr.trim().split('\n').pop()}`);
    const box = waitForBox(stateRoot, name);
    print(`box ${name}: PID 1 is host pid ${box.pid}; from the host:\n`);
    observations = proveSettled(step, box, ctx);
  } catch (e) {
    error = (e as Error).message;
  } finally {
    const removed = ctx.nsbox(['rm', '-f', name]);
    if (removed.code !== 0 && !error) error = `nsbox rm -f ${name}: ${removed.stderr.trim()}`;
  }
  for (const o of observations) print(`  ${o.ok ? '✓' : '✗'} ${o.what}\n      ${o.observed}\n`);
  if (error) print(`  ✗ ${error}\n`);
  const ok = !error && observations.length > 0 && observations.every((o) => o.ok);
  return { id: step.id, title: step.title, command, plan, observations, ok, ...(error ? { error } : {}) };
}
