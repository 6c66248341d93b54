// The one place a box is started from its description: `nsbox run` (host root or image, foreground or -d), and
// `start`/`restart` through the record's recipe (lifecycle/relaunch.ts). Flags and images only translate into a
// description (src/spec, commands/run-image.ts); here it becomes a plan, is shown (--dry-run, --explain), recorded
// when it must be (recorded-box.ts) and executed in its launch mode (run-plan.ts, which `nsbox-runtime create`'s
// OCI-created mode shares).

import { refusePipedTerminal } from '../tty/piped-terminal.js';
import type { BoxDescription } from '../spec/box-description.js';
import type { ImageBoxDescription } from '../spec/image-box-description.js';
import type { CgroupRequest } from '../cgroup/request.js';
import { buildRunPlan, hasReaper } from '../plan/build-run-plan.js';
import type { ImagePlanFacts } from '../plan/build-image-plan.js';
import { explainPlan, planText } from '../plan/explain.js';
import type { Plan } from '../plan/types.js';
import { checkPlanTools } from '../exec/executor.js';
import { requireTool } from '../host/tools.js';
import type { RecordedConfig } from '../state/record.js';
import { isRecorded } from '../lifecycle/run-options.js';
import { runForeground, type StartMode } from './run-plan.js';
import type { RecordedBoxKind } from './recorded-box.js';

/** A box ready to start: its validated description, and for an image box the facts its plan is built from. */
export type BoxToStart =
  | { readonly kind: 'host'; readonly description: BoxDescription; readonly title: string }
  | {
    readonly kind: 'image';
    readonly description: ImageBoxDescription;
    readonly facts: ImagePlanFacts;
    readonly title: string;
    /** What inspect shows of the flags (the image's Entrypoint/Cmd, volumes, capabilities). */
    readonly config: RecordedConfig;
  };

/** The host tools an image box runs (the init's before pivot_root, and the toolbox's). */
const IMAGE_TOOLS = ['env', 'setpriv', 'unshare', 'sh', 'mount', 'umount', 'pivot_root', 'mkdir', 'ln', 'ip'] as const;

/**
 * Start `box` in `mode` ('foreground' or 'detached'; OCI-created is nsbox-runtime's, runtime/create.ts); resolves to
 * nsbox's exit code. Every image box is recorded, as in Docker (its container directory outlives the run); a
 * host-root box with -d or --name.
 */
export async function startBox(box: BoxToStart, mode: Exclude<StartMode, 'oci-created'>, args: Readonly<Record<string, unknown>>): Promise<number> {
  try {
    if (mode === 'foreground' && !args['dry-run']) refusePipedTerminal(descriptionOf(box).process, 'run -it');
    if (box.kind === 'host' && !isRecorded(args)) return await startPlain(box.description, box.title, args);
    // Loaded only for image boxes (start-up time of a host-root box).
    const buildImagePlan = box.kind === 'image' ? (await import('../plan/build-image-plan.js')).buildImagePlan : undefined;
    if (box.kind === 'image' && !isRecorded(args) && args['dry-run']) return showOnly(buildImagePlan!(box.description, box.facts, box.title), args);
    if (box.kind === 'image' && !args['dry-run']) await prepareImageHost(box.description.storeRoot);
    const { startRecorded } = await import('./start-recorded.js');
    return await startRecorded(box.kind === 'host' ? hostKind(box.description, box.title) : imageKind(box, buildImagePlan!), mode, args);
  } catch (error) {
    // The description took an address lease; a box that never ran (or was rolled back) gives it back.
    if (box.kind === 'image' && descriptionOf(box).network?.reserved) (await import('../net/release.js')).releaseNetwork(descriptionOf(box).id);
    throw error;
  } finally {
    // A plain box ended: its undos removed its links and rules; this drops its lease and its lines in peers' /etc/hosts.
    if (box.kind === 'host' && !isRecorded(args) && box.description.network?.reserved) (await import('../net/release.js')).releaseNetwork(box.description.id);
  }
}

function descriptionOf(box: BoxToStart): BoxDescription {
  return box.kind === 'host' ? box.description : box.description.box;
}

/** `--dry-run` prints the plan; resolves to 0. */
function showOnly(plan: Plan, args: Readonly<Record<string, unknown>>): number {
  process.stdout.write(planText(plan, args));
  return 0;
}

/** A host-root box nobody records: plan, show, run in the foreground. */
async function startPlain(description: BoxDescription, title: string, args: Readonly<Record<string, unknown>>): Promise<number> {
  const plan = buildRunPlan(description, title);
  if (args['dry-run']) return showOnly(plan, args);
  checkPlanTools(plan);
  if (args.explain) explainPlan(plan, args);
  const result = await runForeground(plan, { viaReaper: hasReaper(description, false), tty: description.process.tty, json: args.json === true, id: description.id });
  return result.code;
}

/** The tools, the store and a umask: the init layer's directories and the /etc files must be readable by any user in the box. */
async function prepareImageHost(storeRoot: string): Promise<void> {
  for (const tool of IMAGE_TOOLS) requireTool(tool);
  const { openStore } = await import('../image/store.js');
  await openStore(storeRoot);
  process.umask(0o022);
}

/** How the recorded-box bookkeeping builds, records and relaunches a host-root box. */
function hostKind(d: BoxDescription, title: string): RecordedBoxKind {
  const withCgroup = (cgroup: CgroupRequest | undefined) => (cgroup === d.cgroup ? d : { ...d, cgroup });
  return { description: d, buildPlan: (cgroup, detach) => buildRunPlan(withCgroup(cgroup), title, detach ? { detach } : {}), recipe: (cgroup) => ({ kind: 'host', title, spec: withCgroup(cgroup) }) };
}

/** The same for an image box: its container directory is kept past the run (rm removes it). */
function imageKind(box: Extract<BoxToStart, { kind: 'image' }>, buildImagePlan: typeof import('../plan/build-image-plan.js').buildImagePlan): RecordedBoxKind {
  const { description: d, facts, title } = box;
  const run = (cgroup: CgroupRequest | undefined): ImageBoxDescription => ({ ...d, remove: false, box: { ...d.box, cgroup } });
  return {
    description: recordedDescription(d, facts),
    buildPlan: (cgroup, detach) => buildImagePlan(run(cgroup), facts, title, { detach, removedWithRecord: d.remove }),
    // A -t box runs again on a pty of its own (start's relay, as run -dit): /dev/console and /dev/pts are that pty's.
    recipe: (cgroup) => ({ kind: 'image', title, spec: run(cgroup), facts }),
    image: facts.imageLabel,
    inheritEnv: false,
    toolbox: facts.toolbox,
    entrypoint: d.entrypoint,
    kept: [{ kind: 'remove', path: facts.container.dir, why: 'The container\'s directory: upper layer, init layer, /etc files.' }],
    config: box.config,
  };
}

/** The image box as its record keeps it: exec gets the image's whole environment (HOME too) and the image's user. */
function recordedDescription(d: ImageBoxDescription, facts: ImagePlanFacts): BoxDescription {
  const box = d.box;
  const env = { HOME: facts.user.home, ...box.process.env };
  const runAs = facts.user.uid !== 0 || facts.user.gid !== 0 ? { uid: facts.user.uid, gid: facts.user.gid } : undefined;
  const groups = facts.user.groups;
  return { ...box, process: { ...box.process, env, runAs, ...(groups.length > 0 ? { groups } : {}) } };
}
