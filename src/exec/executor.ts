// Executes a plan step by step, keeping every undo; any failure rolls back everything done so far.

import { constants as osConstants } from 'node:os';
import { NsboxError } from '../errors.js';
import { commandCheckError, describeSetupFailure } from './setup-failure.js';
import { findTool, requireTool } from '../host/tools.js';
import { fillTemplate } from '../plan/quote.js';
import { undosOf, type ExecStep, type LaunchStep, type Plan, type PidVar, type Step, type UndoStep } from '../plan/types.js';
import type { ExitStatus, LaunchedProcess, Runner } from './runner.js';

import { awaitNamespaces, verifyCommandNamespaces } from './verify-namespaces.js';
import { injectFault } from './fault.js';
import { trace, TRACING } from './trace.js';


export interface Execution {
  readonly pids: Partial<Record<PidVar, number>>;
  /** The box process (unshare, then the init or the reaper). */
  box: LaunchedProcess | undefined;
  /** True once the gate is open and the command may be running. */
  released: boolean;
}

export interface ExecuteOptions {
  /** Called with the box's exit status after `wait`, before teardown (e.g. read the cgroup's OOM counters). */
  readonly beforeTeardown?: (status: ExitStatus) => Promise<void> | void;
  /** Called once the gate is open. */
  readonly onReleased?: (execution: Execution) => void;
  /** Set by a signal handler: abort set-up at the next step. */
  readonly abortSignal?: { aborted: NodeJS.Signals | undefined };
  /** How long to wait for namespaces to appear. */
  readonly namespaceTimeoutMs?: number;
  /**
   * Detached plans (no wait step): called once the box's command has started, before executePlan resolves; the undo
   * list is not run (the box lives on; its record keeps the undo list for rm and gc). A throw rolls back as usual.
   */
  readonly onDetach?: (execution: Execution) => Promise<void> | void;
  /**
   * OCI-created plans (a launch with mode 'oci-created'): called once the init has said "ready" and waits at its gate;
   * `execution.pids.box` is its host pid. As with onDetach, the undo list is kept, and a throw rolls back.
   */
  readonly onCreated?: (execution: Execution) => Promise<void> | void;
  /** OCI-created: the error for an init that did not get ready, from the lines it and the forker wrote on fd 3. */
  readonly createdFailure?: (lines: readonly string[]) => Error;
  /** Before the rollback of a failed plan, after the box was killed (e.g. empty the cgroups the undos remove). */
  readonly beforeRollback?: (execution: Execution) => Promise<void> | void;
}

/** How long a detached box may take from release to its command's start before nsbox lets it go anyway. */
const HAND_OVER_TIMEOUT_MS = 10_000;

/** How long an OCI container's init may take to set up (mounts, /dev, the console socket) before create gives up. */
const CREATED_TIMEOUT_MS = 60_000;

/** Fails early, naming the package, if a tool some step runs is not installed. */
export function checkPlanTools(plan: Plan, find: (name: string) => string | undefined = findTool): void {
  if (plan.scripts.some((s) => s.name === 'relay')) requireTool('perl', find);
  for (const step of plan.steps) {
    if (step.kind !== 'exec' && step.kind !== 'launch') continue;
    for (const tool of toolsOf(step.argv)) requireTool(tool, find);
  }
}

/** argv[0], plus the programs that wrappers such as nsenter, cgexec and unshare run in turn. */
function toolsOf(argv: readonly string[]): string[] {
  if (argv[0] === 'env' && !argv[1]?.startsWith('-')) {
    // env VAR=VALUE... TOOL: the tool after the assignments
    const rest = argv.slice(1).findIndex((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w));
    return ['env', ...(rest === -1 ? [] : toolsOf(argv.slice(rest + 1)))];
  }
  const tools = [argv[0]!];
  const dash = argv.indexOf('--');
  if (dash !== -1 && dash + 1 < argv.length && !argv[dash + 1]!.startsWith('/')) tools.push(...toolsOf(argv.slice(dash + 1)));
  return tools.filter((t) => !t.startsWith('/') && !t.startsWith('{'));
}

/** Run the plan; resolves to the box's exit status. On failure, undoes every completed step and rethrows. */
export async function executePlan(plan: Plan, runner: Runner, options: ExecuteOptions = {}): Promise<ExitStatus> {
  const execution: Execution = { pids: {}, box: undefined, released: false };
  const scripts = Object.fromEntries(plan.scripts.map((s) => [s.name, s.text]));
  const fill = plan.literal ? (word: string) => word : (word: string) => fillTemplate(word, execution.pids, scripts);
  // A literal plan's words are as given (its init script has braces of its own); only the steps after an OCI-created
  // launch, which run once the init's pid is known, take {box} (they make nothing to undo: they act on the init).
  let stepFill = fill;
  const undos: UndoStep[] = [];
  const helpers: LaunchedProcess[] = [];
  let status: ExitStatus | undefined;
  let verification: Promise<void> | undefined;
  /** Background steps (cgroup moves) still running: release waits for them, a rollback too. */
  const pending: Promise<void>[] = [];
  /**
   * Background execs run one after another, in plan order (cgset after its cgcreate); a background write starts
   * after the execs before it, beside the other writes (each move into a cgroup waits out its own grace period).
   */
  let queue: Promise<void> = Promise.resolve();
  const inBackground = (run: () => Promise<void>, ordered: boolean) => {
    const job = queue.then(run);
    job.catch(() => undefined); // awaited (and reported) at release or rollback
    if (ordered) queue = job.catch(() => undefined);
    pending.push(job);
  };
  /** Background execs started with the first of their group (Runner.execInOrder). */
  const inGroup = new Set<Step>();
  const settle = async () => {
    const all = pending.splice(0);
    await Promise.all(all);
  };
  const awaitedIsolate = () => plan.steps.flatMap((s) => (s.kind === 'await-namespaces' && s.pid === 'box' ? s.isolate : []));

  const created = plan.steps.find((s): s is LaunchStep => s.kind === 'launch' && s.mode === 'oci-created');
  const detached = !plan.steps.some((s) => s.kind === 'wait');
  try {
    for (const [index, step] of plan.steps.entries()) {
      injectFault(`step:${index + 1}`, step.kind);
      const aborted = options.abortSignal?.aborted;
      if (aborted && !execution.released) throw new NsboxError(`interrupted by ${aborted} during set-up`, { exitCode: 128 + signalNumber(aborted) });
      await runStep(step, index);
      if (step === created) {
        // The init is ready at its gate: the steps after the launch (process limits from the host) act on its pid.
        await settle();
        await awaitCreated(step);
        stepFill = (word: string) => fillTemplate(word, execution.pids, {});
      }
      if (TRACING) trace(`${step.kind}: ${step.why}`);
      undos.push(...undosOf(step));
    }
    await settle();
    if (created) await handOverCreated();
    else if (detached) await handOver();
  } catch (error) {
    // A move still under way could land after the rollback removed its cgroup: let it finish (or fail) first.
    await Promise.allSettled(pending);
    await abortBox(execution, runner);
    // An OCI container's init is not the launched process (that one forked it and exited): end it too.
    if (created && execution.pids.box !== undefined && execution.pids.box !== execution.box?.pid) runner.kill(execution.pids.box, 'SIGKILL');
    for (const helper of helpers) runner.kill(helper.pid, 'SIGKILL');
    try {
      await options.beforeRollback?.(execution);
    } catch (cleanup) {
      if (error instanceof NsboxError && !error.cleanupError) error.cleanupError = cleanup as Error;
    }
    await rollBack(undos, runner, fill, error);
    throw error;
  }
  for (const helper of helpers) runner.kill(helper.pid, 'SIGKILL');
  if (detached) return { code: 0, signal: null };
  if (status === undefined) throw new Error('internal: plan has no wait step');
  try {
    await options.beforeTeardown?.(status);
    if (TRACING) trace('before-teardown');
  } finally {
    await rollBack(undos, runner, fill, undefined);
  }
  return status;

  /** Detached: wait for the command to start (the gate closes), report a set-up failure, then let the box go. */
  async function handOver(): Promise<void> {
    const box = execution.box!;
    if (!options.onDetach) throw new Error('internal: a plan without a wait step needs onDetach');
    await verification;
    const said = box.handOver ? await box.handOver(HAND_OVER_TIMEOUT_MS) : '';
    const commandError = commandCheckError(said);
    if (commandError) throw commandError;
    if (said.includes('failed: ') || (box.hasExited() && (await box.exited).code === 125)) {
      throw new NsboxError(`cannot set up the box: ${describeSetupFailure(said) || 'it exited during set-up'}`);
    }
    injectFault('detached');
    await options.onDetach(execution);
  }

  /**
   * OCI-created: wait until the forker and the init have closed fd 3 (the init after "ready"), take the init's pid
   * from the forker's "pid N". The forker has exited (or, keepParent, waits for it). The init waits at its gate.
   */
  async function awaitCreated(step: LaunchStep): Promise<void> {
    const box = execution.box!;
    const said = box.handOver ? await box.handOver(CREATED_TIMEOUT_MS, { keep: step.keepParent === true }) : box.messages();
    const lines = said.split('\n').filter(Boolean);
    const pidLine = lines.find((l) => /^pid \d+$/.test(l));
    if (pidLine) execution.pids[step.as] = Number(pidLine.slice(4));
    if (!pidLine || !lines.includes('ready')) {
      throw options.createdFailure?.(lines) ?? new NsboxError(`cannot set up the box: ${describeSetupFailure(said) || 'it exited during set-up'}`);
    }
  }

  /** OCI-created: every step has run; let the caller record the container. */
  async function handOverCreated(): Promise<void> {
    execution.released = true;
    await options.onCreated?.(execution);
  }

  async function runStep(step: Step, index: number): Promise<void> {
    // A literal step's words are data (an image's paths): used as they are.
    const fillOf = (s: { readonly literal?: boolean }) => (s.literal ? (word: string) => word : stepFill);
    switch (step.kind) {
      case 'exec': {
        if (step.background) {
          if (inGroup.has(step)) return; // started with the first of its group
          // Consecutive background execs (cgcreate, cgset) in one process: the next need not wait for nsbox's loop.
          const group = backgroundGroupAt(plan.steps, index);
          if (group.length > 1 && runner.execInOrder) {
            for (const s of group) inGroup.add(s);
            const argvs = group.map((s) => s.argv.map(fillOf(s)));
            return inBackground(() => runner.execInOrder!(argvs), true);
          }
          const argv = step.argv.map(fillOf(step));
          return inBackground(() => runner.exec(argv), true);
        }
        return runner.exec(step.argv.map(fillOf(step)));
      }
      case 'write-file': {
        const [path, content] = [fillOf(step)(step.path), fillOf(step)(step.content)];
        if (step.background) return inBackground(() => (runner.writeFileInBackground ?? runner.writeFile).call(runner, path, content), false);
        return runner.writeFile(path, content);
      }
      case 'write-text':
        return runner.writeFile(stepFill(step.path), step.content);
      case 'mkdir':
        return runner.mkdir(fillOf(step)(step.path));
      case 'launch': {
        // The box's command (the last literalTail words) is data: used as it is.
        const literalFrom = step.argv.length - (step.literalTail ?? 0);
        const proc = runner.launch(step.argv.map((w, i) => (i < literalFrom ? stepFill(w) : w)), step.gated, step.detach, step.tty, step.passFds);
        if (step.as === 'box') execution.box = proc;
        else helpers.push(proc);
        if (proc.pid === -1) await proc.exited; // rejects with the spawn error
        if (step.mode === 'oci-created') return; // `as` is the init's pid, which the forker says (handOverCreated)
        // A supervised box: the launched process is its supervisor; the box itself is the supervisor's child.
        execution.pids[step.as] = step.supervised && runner.childOf ? await runner.childOf(proc, 5000) : proc.pid;
        return;
      }
      case 'await-namespaces':
        return awaitNamespaces(step, execution, runner, helpers, options.namespaceTimeoutMs ?? 5000);
      case 'kill':
        runner.kill(execution.pids[step.pid]!, 'SIGKILL');
        return;
      case 'release':
        await settle();
        execution.box!.release(step.closesGate === true);
        execution.released = true;
        options.onReleased?.(execution);
        if (plan.steps.some((s) => s.kind === 'await-namespaces' && s.isolate.includes('pid'))) {
          verification = verifyCommandNamespaces(execution, runner, awaitedIsolate());
        }
        return;
      case 'wait':
        status = await execution.box!.exited;
        await verification;
        if (status.code === 127 || status.code === 126) {
          const error = commandCheckError(execution.box!.messages());
          if (error) throw error;
        }
        if (status.code === 125 && execution.box!.messages().trim() !== '') {
          throw new NsboxError(`cannot set up the box: ${describeSetupFailure(execution.box!.messages())}`);
        }
        return;
    }
  }
}

/** The background execs from steps[index] on, up to the first step that is not one. */
function backgroundGroupAt(steps: readonly Step[], index: number): ExecStep[] {
  const group: ExecStep[] = [];
  for (let i = index; i < steps.length; i++) {
    const step = steps[i]!;
    if (step.kind !== 'exec' || !step.background) break;
    group.push(step);
  }
  return group;
}

async function abortBox(execution: Execution, runner: Runner): Promise<void> {
  const box = execution.box;
  if (!box || box.pid === -1 || box.hasExited()) return;
  runner.kill(box.pid, 'SIGKILL');
  // A detached box's process is unref'd once handed over: its exit alone would not keep nsbox's loop alive, and
  // nsbox would end with status 0 before reporting the failure. The timer does (and bounds the wait).
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([box.exited.catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, 10_000)))]);
  clearTimeout(timer);
}

async function rollBack(undos: UndoStep[], runner: Runner, fill: (w: string) => string, original: unknown): Promise<void> {
  for (const undo of [...undos].reverse()) {
    try {
      await runUndo(undo, runner, fill);
      if (TRACING) trace(`undo ${undo.kind}`);
    } catch (error) {
      if (original instanceof NsboxError && !original.cleanupError) original.cleanupError = error as Error;
      else if (!original) throw new NsboxError(`cannot clean up: ${(error as Error).message}`);
    }
  }
}

function runUndo(undo: UndoStep, runner: Runner, fill: (w: string) => string): Promise<void> {
  switch (undo.kind) {
    case 'exec':
      return runner.exec(undo.argv.map(fill));
    case 'rmdir':
      return runner.rmdir(fill(undo.path));
    case 'remove':
      return runner.remove(fill(undo.path));
    case 'write-file':
      return runner.writeFile(fill(undo.path), undo.content);
    case 'remove-cgroup':
      return runner.removeCgroup(fill(undo.path), undo.ino);
  }
}


/** Docker's rule: exit status N, or 128+N for death by signal N. */
export function exitCodeOf(status: ExitStatus): number {
  if (status.signal) return 128 + signalNumber(status.signal);
  return status.code ?? 125;
}

export function signalNumber(signal: NodeJS.Signals): number {
  return osConstants.signals[signal] ?? 0;
}
