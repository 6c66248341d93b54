// The two small sh scripts a box runs inside its namespaces: the init (becomes the command) and the reaper
// (the command's parent when the box has its own pid namespace). They are data: --explain prints them verbatim.

import type { BoxDescription } from '../spec/box-description.js';
import { constants } from 'node:os';
import { posix } from 'node:path';
import { quoteWord } from './quote.js';
import { GATE_READY, type DetachFiles, type ExecStep } from './types.js';
import { evalScript, scriptVariable, unsetLine } from './script-env.js';
import { LOG_MAX_BYTES, logWriterPerl } from './log-writer.js';
import { selfJoinLines } from '../cgroup/self-join.js';

/** Signals nsbox forwards to the box; the reaper must survive them (caught, not ignored: exec resets caught ones). */
export const FORWARDED_SIGNALS = ['HUP', 'INT', 'QUIT', 'TERM', 'USR1', 'USR2', 'WINCH'] as const;

/**
 * What `nsbox attach` sends a -d -i box's supervisor when its stdin ended: close the box's stdin. WINCH because it is
 * ignored by default: one that arrives just as the supervisor becomes an nsbox command (restart policy, --rm) is lost
 * there harmlessly (USR1 would open Node's inspector, USR2 would end it).
 */
export const CLOSE_STDIN_SIGNAL = 'SIGWINCH';

export const GATE = [
  '# Wait at the gate (fd 3) until nsbox has finished set-up from outside (maps, cgroup, checks).',
  'read -r _ <&3 || exit 125',
];

/** The gate, then the box's own move into its cgroups when the plan has it join them itself (selfJoinLines). */
export function gateLines(selfJoin: readonly string[] = []): string[] {
  return [...GATE, ...selfJoinLines(selfJoin)];
}

/**
 * The gate of an init whose own steps come first (InitGate 'after-steps'): it says GATE_READY on fd 3 (its steps are
 * done: nothing more comes from it there, so nsbox may close its end), then waits for the line "go". Under --explain's
 * script fd 3 is one fifo, read and written by the box: it reads its own lines back (GATE_READY, a warning a step that
 * succeeded printed), so only "go" opens the gate.
 */
const GATE_AFTER_STEPS = [
  `# Its steps are done: say so on fd 3 (the last it says there), then wait at the gate for nsbox's "go" (it has checked the namespaces from outside).`,
  `echo ${GATE_READY} >&3`,
  'until read -r word <&3 || exit 125; [ "$word" = go ]; do :; done',
];

/** How a reaper starts PID 1. */
export interface Pid1Options {
  /**
   * False: the reaper starts PID 1 at once and PID 1 waits at the gate itself, after its own steps (a plan with no
   * set-up from outside between launch and release: nothing PID 1 must inherit from the reaper comes later).
   */
  readonly gate?: boolean;
  /**
   * Image boxes: PID 1 starts from an empty environment but this (PATH=...), plus the init's own script; host-root
   * boxes pass nsbox's environment on, as `unshare` would.
   */
  readonly cleanEnv?: string;
  /**
   * Detached boxes: a shell starts a background job with SIGINT and SIGQUIT ignored, and an ignored signal stays
   * ignored through exec (no shell after it may even trap it): PID 1 gets them back at their default, as in Docker,
   * so `nsbox kill -s INT` and attach's Ctrl-C reach it.
   */
  readonly defaultSignals?: boolean;
  /** The cgroup files this shell writes 0 into after its gate (chooseJoin's selfJoin). */
  readonly selfJoin?: readonly string[];
  /**
   * With cleanEnv: the launch already gave this shell only PATH=cleanEnv and the scripts (launchArgv's env -i), and
   * the reaper unset its own, so PID 1 inherits just what env -i would give it: no env process.
   */
  readonly launchedClean?: boolean;
}

/** The reaper's line that starts the init (script "init", from NSBOX_INIT) as PID 1, dying with the reaper. */
export function pid1Launch(options: Pid1Options): string {
  const signals = options.defaultSignals ? '--default-signal=INT,QUIT ' : '';
  if (options.cleanEnv && options.launchedClean && !signals) return `setpriv --pdeathsig KILL -- /bin/sh -c ${quoteWord(evalScript('init'))} nsbox-init "$@"`;
  const env = options.cleanEnv ? `env -i ${signals}${quoteWord(options.cleanEnv)} ${scriptVariable('init')}="$${scriptVariable('init')}" ` : signals ? `env ${signals}` : '';
  return `${env}setpriv --pdeathsig KILL -- /bin/sh -c ${quoteWord(evalScript('init'))} nsbox-init "$@"`;
}

/**
 * The reaper: unshare --pid moves only the children of the caller into the new pid namespace, so this shell stays
 * outside, starts the init as PID 1 and exits with its status (128+N when a signal killed it; util-linux 2.38's
 * `unshare --fork` would report a SIGKILL as 1).
 */
export function buildReaperScript(options: Pid1Options = {}): string {
  return [
    '# Parent of the box\'s PID 1, outside its pid namespace: waits for it and exits with its status.',
    unsetLine(['reaper']),
    `trap : ${FORWARDED_SIGNALS.join(' ')}  # survive signals; nsbox sends them to PID 1 itself`,
    ...(options.gate === false ? ['# No gate here: PID 1 waits at it, after its own set-up steps.'] : gateLines(options.selfJoin)),
    '# PID 1 dies with this shell (parent-death signal), and the kernel then ends every process of the box.',
    ...(options.cleanEnv && options.launchedClean ? [`# Its environment: ${options.cleanEnv} and the init's script only (nsbox launched this shell with env -i).`] : []),
    pid1Launch(options),
  ].join('\n');
}

/**
 * The reaper of a detached box (`run -d`): like the foreground one, it exits with PID 1's status (its supervisor
 * records it). It hands the gate (fd 3) to PID 1 alone, so nsbox sees it close when the command starts, and keeps
 * only builtins after that (the box may have pivoted the root this shell shares).
 */
export function buildDetachedReaperScript(options: Pid1Options = {}): string {
  return [
    '# Parent of the box\'s PID 1, outside its pid namespace: waits for it and exits with its status.',
    unsetLine(['reaper']),
    `trap : ${FORWARDED_SIGNALS.join(' ')}  # survive signals meant for the box`,
    ...gateLines(options.selfJoin),
    '# PID 1 dies with this shell (parent-death signal), and the kernel then ends every process of the box.',
    'exec 4<&0  # a background job would get /dev/null as stdin: hand it the real one (-d -i: the box\'s fifo)',
    `${pid1Launch({ ...options, defaultSignals: true })} <&4 4<&- &`,
    'child=$!',
    'exec 3>&- 4<&-  # PID 1 alone holds the gate now: nsbox sees it close when the command starts',
    '# Only builtins from here: no "Killed" job notice from wait in the box\'s log (PID 1 keeps its own stderr).',
    'exec 2>/dev/null',
    'while :; do wait "$child"; status=$?; kill -0 "$child" 2>/dev/null || break; done',
    'exit "$status"',
  ].join('\n');
}

/** The two fifos a detached box without a terminal writes its stdout and stderr to (see log-writer.ts). */
export interface StreamFifos {
  readonly stdout: string;
  /** None: a terminal's one stream (-dt), which the writer copies as it is into the raw log. */
  readonly stderr?: string;
  /** The log itself: the writer renames it to LOG.1 once it holds LOG_MAX_BYTES (plan/log-writer.ts). */
  readonly log?: string;
}

/**
 * A detached box without a terminal whose caller gave a stream log: its launch appends to that log (records of the
 * log writer), through fifos next to it. A terminal has one stream only: a -dt box's relay writes into one fifo, and
 * the writer copies it as it is to the raw log (capped the same way: the relay, in the box's mount namespace once
 * the box has its root, could not rename a file of the state dir).
 */
export function splitStreams(detach: DetachFiles | undefined, tty: boolean): { readonly detach: DetachFiles | undefined; readonly streams: StreamFifos | undefined } {
  if (detach && tty) return { detach, streams: { stdout: posix.join(posix.dirname(detach.log), 'stdout.fifo'), log: detach.log } };
  if (!detach?.streamLog || tty) return { detach, streams: undefined };
  const dir = posix.dirname(detach.streamLog);
  return { detach: { ...detach, log: detach.streamLog }, streams: { stdout: posix.join(dir, 'stdout.fifo'), stderr: posix.join(dir, 'stderr.fifo'), log: detach.streamLog } };
}

/** -d -i without -t: the box's stdin fifo (with -t the relay's socket takes the keys). */
export function keptStdin(spec: BoxDescription, detach: DetachFiles | undefined): string | undefined {
  return spec.process.openStdin === true && !spec.process.tty ? detach?.stdinFifo : undefined;
}

/** The fifos of the box's stdout and stderr, made before the launch (the log writer removes them once it has them open). */
export function streamFifosStep(streams: StreamFifos): ExecStep {
  return {
    kind: 'exec',
    argv: ['mkfifo', '-m', '0600', '--', streams.stdout, ...(streams.stderr === undefined ? [] : [streams.stderr])],
    why: streams.stderr === undefined
      ? '-dt: the terminal\'s output, a fifo its log writer reads (copied as it is into the log, which it caps).'
      : '-d without -t: the box\'s stdout and stderr, fifos its log writer reads (a record per line in streams.log).',
    undo: { kind: 'remove', path: streams.stdout },
    ...(streams.stderr === undefined ? {} : { alsoUndo: [{ kind: 'remove' as const, path: streams.stderr }] }),
  };
}

/**
 * The fifo, made before the launch (the supervisor's first child must be the box). Its undo removes it if the start
 * fails, and before a start again (a supervisor killed before it could remove it).
 */
export function stdinFifoStep(path: string): ExecStep {
  return {
    kind: 'exec',
    argv: ['mkfifo', '-m', '0600', '--', path],
    why: '-d -i: the box\'s stdin, a fifo its supervisor holds open (nsbox attach writes to it).',
    undo: { kind: 'remove', path },
  };
}

/**
 * The supervisor of a detached box: the one process that outlives nsbox, in a session of its own, outside every
 * namespace and cgroup of the box (no daemon: one small shell per box, like conmon). It starts the box (NSBOX_BOX, which
 * dies with it), writes the box's exit status to fd 4 (the box's exit file) once every process of it is gone, and
 * then, when `after` is given (a restart policy, --rm), becomes that nsbox command, which restarts or removes it.
 *
 * `stdinFifo` (-d -i without -t): the box's stdin is that fifo, and the supervisor holds its write end open, so the
 * box reads no end of file while nobody is attached (Docker keeps stdin open); `nsbox attach` writes into the fifo
 * and, when its own stdin ends, sends CLOSE_STDIN_SIGNAL: the supervisor closes its end and removes the fifo, and
 * the box reads EOF once the last writer is gone. No process of its own: the shell that waits anyway holds it.
 */
export function buildSupervisorScript(after: readonly string[] | undefined, attachSocket?: string, stdinFifo?: string, streams?: StreamFifos): string {
  const signal = CLOSE_STDIN_SIGNAL.replace(/^SIG/, '');
  const output = !streams ? '' : streams.stderr === undefined ? ' >"$out" 2>&1' : ' >"$out" 2>"$err"';
  return [
    '# The box\'s supervisor: starts it, waits, records its exit status on fd 4.',
    unsetLine(['supervisor']),
    'eval "set -- $NSBOX_BOX"; unset NSBOX_BOX  # the box\'s launch command, as quoted words',
    ...(streams ? [
      ...(streams.stderr === undefined ? [
        '# Its terminal\'s output (the relay\'s): a fifo (made by nsbox) the log writer reads; opening it for writing waits for it.',
        `out=${quoteWord(streams.stdout)}`,
      ] : [
        '# Its stdout and stderr kept apart: two fifos (made by nsbox) the log writer reads; opening one for writing waits for it.',
        `out=${quoteWord(streams.stdout)} err=${quoteWord(streams.stderr)}`,
      ]),
    ] : []),
    ...(stdinFifo === undefined ? [`"$@"${output} 4>&- &`] : [
      '# -d -i: the box\'s stdin is a fifo whose write end this shell holds (read-write: opening it does not block).',
      `fifo=${quoteWord(stdinFifo)}`,
      'exec 5<>"$fifo" || exit 125',
      `trap 'exec 5>&-; rm -f -- "$fifo"; woke=1' ${signal}  # nsbox attach: its stdin ended, so does the box's`,
      `"$@" <"$fifo"${output} 4>&- 5>&- &`,
    ]),
    'box=$!',
    'exec 3>&-  # the gate is the box\'s alone',
    ...(streams ? [
      '# The log writer (after the box: the box must be this shell\'s first child), one record per line on our stdout, the log.',
      `perl -e ${quoteWord(logWriterPerl())} "$out" ${streams.stderr === undefined ? "''" : '"$err"'} "$box"${streams.log === undefined ? '' : ` ${quoteWord(streams.log)} ${LOG_MAX_BYTES}`} </dev/null 4>&- 5>&- &`,
      'writer=$!',
      ...(streams.log === undefined ? [] : ['exec >/dev/null 2>&1  # the writer rotates the log: no full one kept allocated by this shell (its words after the box: below)']),
    ] : []),
    ...(stdinFifo === undefined ? ['while :; do wait "$box"; status=$?; kill -0 "$box" 2>/dev/null || break; done'] : [
      `# A wait the trap cut short says 128+${constants.signals.SIGWINCH}, even if the box has just ended: wait again for its own status (a wait`,
      '# that got the status first runs the trap after it: that status stands, the job is gone).',
      `while :; do woke=; wait "$box"; status=$?; [ -n "$woke" ] && [ "$status" -eq ${128 + constants.signals.SIGWINCH} ] && continue; kill -0 "$box" 2>/dev/null || break; done`,
    ]),
    // The relay cannot: the box's pivot_root took the host's paths from its mount namespace.
    ...(attachSocket === undefined ? [] : [`rm -f -- ${quoteWord(attachSocket)}  # the terminal relay's socket, gone with it`]),
    ...(stdinFifo === undefined ? [] : [`trap - ${signal}; exec 5>&-; rm -f -- "$fifo"  # the box's stdin, gone with it`]),
    ...(streams ? ['wait "$writer"  # the box\'s last lines are in the log before its exit status is'] : []),
    ...(streams?.log === undefined ? [] : [`exec >>${quoteWord(streams.log)} 2>&1  # the log the writer left, by path`]),
    'echo "$status" >&4; exec 4>&-',
    ...(after ? ['# A restart policy or --rm: nsbox decides what happens next.', `unset ${['reaper', 'init', 'relay'].map(scriptVariable).join(' ')}`, `exec ${after.map(quoteWord).join(' ')} "$status"`] : ['exec 2>/dev/null  # no "Killed" job notice in the box\'s log', 'exit "$status"']),
  ].join('\n');
}

/**
 * Where the init waits at the gate: 'first' (before its steps, the box has no reaper), 'after-steps' (its steps run
 * while nsbox checks the namespaces, then the gate; only where nothing is set up from outside: buildRunPlan), or
 * 'none' (the reaper waits at it before it starts the init).
 */
export type InitGate = 'first' | 'after-steps' | 'none';

/** The init: finishes set-up that only a process inside can do, then becomes (or, with --init, supervises) the command. */
export function buildInitScript(spec: BoxDescription, gate: InitGate, selfJoin: readonly string[] = []): string {
  const lines: string[] = [
    '# Runs inside the new namespaces, then becomes the command. A failed step reports on fd 3 and exits 125.',
    unsetLine(['init']),
    'step() { "$@" 2>&3 || { echo "failed: $*" >&3; exit 125; }; }',
  ];
  if (gate === 'first') lines.push(...gateLines(selfJoin));
  // Before the gate, with more steps after it: ip runs beside them (a process each, on another CPU), and the init
  // waits for it before the gate.
  const loBeside = gate === 'after-steps' && spec.namespaces.includes('net') && (spec.mountProc || spec.process.workdir !== undefined);
  if (loBeside) {
    // Not `step ... &`: a job of one simple command is one fork (the shell execs ip in it), a function two.
    lines.push('# --net: a new network namespace has only lo, and it is down: bring it up (beside the steps below).', 'ip link set lo up 2>&3 & lo=$!');
  } else if (spec.namespaces.includes('net')) {
    lines.push('# --net: a new network namespace has only lo, and it is down: bring it up.', 'step ip link set lo up');
  }
  if (spec.mountProc) {
    lines.push(
      '# --mount-proc: a /proc of the new pid namespace, mounted by a process inside it, so ps sees only the box.',
      'step mount -t proc -o nosuid,nodev,noexec proc /proc',
    );
  }
  if (spec.process.workdir !== undefined) {
    lines.push('# -w: the working directory inside.', `step cd ${quoteWord(spec.process.workdir)}`);
  }
  if (loBeside) lines.push('wait "$lo" || { echo "failed: ip link set lo up" >&3; exit 125; }  # as step would report it');
  if (gate === 'after-steps') lines.push(...GATE_AFTER_STEPS);
  const exec = finalCommand(spec);
  if (spec.init) {
    lines.push(
      '# --init: this shell stays PID 1, reaps orphans and forwards signals to the command.',
      'exec 4<&0  # a background job would get /dev/null as stdin; hand it the real one',
      '# A background job starts with SIGINT and SIGQUIT ignored (kept through exec): env gives the command both back.',
      `env --default-signal=INT,QUIT -- ${exec} <&4 4<&- 3>&- &`,
      'child=$!',
      'exec 3>&-  # the command started: close the gate (a detached nsbox waits for that)',
      `for sig in ${FORWARDED_SIGNALS.join(' ')}; do trap "kill -$sig $child 2>/dev/null" "$sig"; done`,
      'while :; do wait "$child"; status=$?; kill -0 "$child" 2>/dev/null || break; done',
      'exit "$status"',
    );
  } else {
    lines.push('# Become the command: exec keeps this PID (PID 1 with --pid); fd 3 is closed so only 0-2 reach it.', `exec ${exec} 3>&-`);
  }
  return lines.join('\n');
}

/** setpriv for --user, env for -e, then the command's argv as passed in "$@" (never joined into a string). */
function finalCommand(spec: BoxDescription): string {
  const parts: string[] = [];
  const runAs = spec.process.runAs;
  // Changing uid clears the parent-death signal, so set it again.
  if (runAs) parts.push(`setpriv --reuid=${runAs.uid} --regid=${runAs.gid} --clear-groups --pdeathsig KILL --`);
  const env = Object.entries(spec.process.env);
  if (env.length > 0) parts.push(`env ${env.map(([k, v]) => quoteWord(`${k}=${v}`)).join(' ')}`);
  parts.push('"$@"');
  return parts.join(' ');
}
