// The plan is data: an ordered list of steps, each an argv or a file operation, with a one-line why and its undo.
//
// Strings in a step may contain the placeholders {box} and {holder}: the host PIDs of the box process and of the
// user-namespace holder, known only once launched. The executor substitutes them; the shell renderer prints
// "$box" / "$holder".

export type PidVar = 'box' | 'holder';

/** Run a command on the host and wait for it to exit 0. */
export interface ExecStep {
  readonly kind: 'exec';
  readonly argv: readonly string[];
  readonly why: string;
  /** Its words (path) are data that may hold an image's names (the init layer's entries): never filled, printed literally. */
  readonly literal?: boolean;
  readonly undo?: UndoStep;
  /** More undos after `undo`, when one command makes several things (one cgcreate for every box cgroup). */
  readonly alsoUndo?: readonly UndoStep[];
  /**
   * Run in the background, after the background steps before it (in plan order) and while the steps after it run;
   * the release step waits for all of them (a failure then rolls back, as any failed step). The box's cgcreate and
   * cgset: two processes the container's files and the namespace check overlap instead of waiting them out.
   * Consecutive ones run in one sh, one after another (the executor's Runner.execInOrder; --explain's `{ ...; } &`).
   */
  readonly background?: boolean;
}

/** Write (truncate) a file on the host, e.g. a cgroup knob or /proc/<pid>/uid_map. */
export interface WriteFileStep {
  readonly kind: 'write-file';
  readonly path: string;
  readonly content: string;
  readonly why: string;
  /** Its words (path) are data that may hold an image's names (the init layer's entries): never filled, printed literally. */
  readonly literal?: boolean;
  readonly undo?: UndoStep;
  /**
   * Started in the background (after the background steps before it); the release step waits for it. Moving a
   * process into a cgroup waits for an RCU grace period (10-40 ms here, system-wide), which the steps after it
   * overlap instead of waiting it out.
   */
  readonly background?: boolean;
}

/** Write a text file on the host (a config file such as an fstab), shown as a heredoc by --explain. */
export interface WriteTextStep {
  readonly kind: 'write-text';
  readonly path: string;
  /** Ends with a newline. */
  readonly content: string;
  readonly why: string;
  readonly undo?: UndoStep;
}

/** Create one directory (not recursive: a cgroup or a state dir that must not exist yet). */
export interface MkdirStep {
  readonly kind: 'mkdir';
  readonly path: string;
  readonly why: string;
  /** Its words (path) are data that may hold an image's names (the init layer's entries): never filled, printed literally. */
  readonly literal?: boolean;
  readonly undo?: UndoStep;
}

/**
 * Start a long-lived process in the background. For the box, it waits at its gate (fd 3) until `release`.
 * `as` names the variable that holds its PID for later steps.
 */
export interface LaunchStep {
  readonly kind: 'launch';
  readonly as: PidVar;
  readonly argv: readonly string[];
  readonly why: string;
  /** True for the box: stdio is the user's, fd 3 is the gate. False for helpers such as the userns holder. */
  readonly gated: boolean;
  /**
   * The last this many words are data (the box's command, from the image or the user), used as they are: never
   * filled, rendered literally. A command word "{box}" or "{script:init}" is the box's, not a placeholder.
   */
  readonly literalTail?: number;
  /**
   * -t: the box's relay holds the caller's terminal (stdio passed as it is). Otherwise a terminal on fds 0-2 is never
   * passed to the box: nsbox relays it through a pipe (a box process holding it could inject input with TIOCSTI).
   */
  readonly tty?: boolean;
  /** A detached box: stdin /dev/null, stdout and stderr appended to `log`, fd 4 open on `exitFile` for its supervisor. */
  readonly detach?: DetachFiles;
  /** argv starts with the box's supervisor, whose first child is the box: that child's PID becomes `as`. */
  readonly supervised?: boolean;
  /**
   * 'oci-created' (nsbox-runtime create): argv forks the init from the host's pid namespace and exits, so the caller
   * (conmon, the containerd shim: child subreapers) inherits it. The forker says "pid N" on fd 3, the init "ready"
   * once set up; it then waits at a gate of its own (a fifo) for `start`. `as` becomes the init's pid. The plan
   * ends here: no release or wait step. Steps after it run once the init said "ready" and waits at its gate, with
   * {box} its pid (process limits set from the host, as runc's parent does).
   */
  readonly mode?: 'oci-created';
  /** oci-created: the forker stays the init's parent and exits with its status (nsbox-runtime run waits for it). */
  readonly keepParent?: boolean;
  /**
   * --preserve-fds: nsbox's own fds 3 .. 3+count-1 become the launched process's fds at .. at+count-1 (the init moves
   * them back to 3..); nsbox closes its copies once the process has them.
   */
  readonly passFds?: { readonly count: number; readonly at: number };
}

/** The files a detached box writes to instead of the user's terminal (in its state directory). */
export interface DetachFiles {
  readonly log: string;
  /** Without a terminal: stdout and stderr as records in this file instead (see log-writer.ts); absent: both in `log`. */
  readonly streamLog?: string;
  readonly exitFile: string;
  /** What the supervisor becomes once the box has ended (restart policy, --rm): an nsbox argv, given the status. */
  readonly after?: readonly string[];
  /** -t: the relay's socket for `nsbox attach` (the supervisor removes it when the box ends). */
  readonly attachSocket?: string;
  /** -i without -t: the fifo that is the box's stdin, held open by its supervisor, for `nsbox attach`. */
  readonly stdinFifo?: string;
}

/**
 * Wait until the process `pid` is in new namespaces (each in `isolate` differs from nsbox's own) and fail if any
 * namespace not asked for is not shared. This is where nsbox proves the isolation from /proc before the command runs.
 */
export interface AwaitNamespacesStep {
  readonly kind: 'await-namespaces';
  readonly pid: PidVar;
  readonly isolate: readonly import('../host/namespaces.js').NamespaceName[];
  /** Namespaces that must still be the host's (false when another tool, e.g. nsenter, chose them). */
  readonly checkShared: boolean;
  readonly why: string;
}

/** End a helper process (the userns holder) once the box holds what it held. */
export interface KillStep {
  readonly kind: 'kill';
  readonly pid: PidVar;
  readonly why: string;
}

/** What an init whose steps come before its gate says on fd 3 once they are done; it says nothing there after it. */
export const GATE_READY = 'ready';

/** Open the box's gate: from here on the command runs. */
export interface ReleaseStep {
  readonly kind: 'release';
  /** The box says GATE_READY on fd 3 and nothing after it: nsbox closes its end once it has that and has said "go". */
  readonly closesGate?: boolean;
  readonly why: string;
}

/** Wait for the box to exit; its status becomes nsbox's. */
export interface WaitStep {
  readonly kind: 'wait';
  readonly why: string;
}

/** Undo actions: what the executor runs, newest first, on failure or at teardown. */
export type UndoStep =
  | { readonly kind: 'exec'; readonly argv: readonly string[]; readonly why?: string }
  | { readonly kind: 'rmdir'; readonly path: string; readonly why?: string }
  | { readonly kind: 'remove'; readonly path: string; readonly why?: string }
  | { readonly kind: 'write-file'; readonly path: string; readonly content: string; readonly why?: string }
  /** Kill every process left in a cgroup, then remove it and its sub-cgroups depth first. */
  | {
    readonly kind: 'remove-cgroup';
    readonly path: string;
    readonly why?: string;
    /** The inode of the cgroup nsbox made (stamped after set-up): a cgroup found there with another is left alone. */
    readonly ino?: number;
  };

/** A step's undos, in the order they were made (rolled back newest first). */
export function undosOf(step: Step): readonly UndoStep[] {
  if (!('undo' in step) || !step.undo) return [];
  return step.kind === 'exec' && step.alsoUndo ? [step.undo, ...step.alsoUndo] : [step.undo];
}

export type Step = ExecStep | WriteFileStep | WriteTextStep | MkdirStep | LaunchStep | AwaitNamespacesStep | KillStep | ReleaseStep | WaitStep;

export interface Plan {
  /** The nsbox command line this plan was built from, for the script's header. */
  readonly title: string;
  /** Shell scripts the box runs inside its namespaces, shown once in --explain and referenced as "$name". */
  readonly scripts: readonly BoxScript[];
  readonly steps: readonly Step[];
  /** The box's cgroups, when it has limits: read after exit for "why did it die". */
  readonly cgroup?: import('../cgroup/plan-cgroup.js').BoxCgroup;
  /** Words are used as written, never filled ({box}...): nsbox-runtime's paths and args come from its caller. */
  readonly literal?: boolean;
}

/** A script passed to `sh -c` inside the box; `lines` carry their own `# why` comments. */
export interface BoxScript {
  readonly name: string;
  readonly why: string;
  readonly text: string;
}
