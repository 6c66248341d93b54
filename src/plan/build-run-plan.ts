// Turns a BoxDescription into the ordered plan for `nsbox run`/`nsbox sh` on the host's root filesystem. Pure: no I/O.

import type { BoxDescription } from '../spec/box-description.js';
import { namespaceInfo } from '../host/namespaces.js';
import { chooseJoin, planCgroup } from '../cgroup/plan-cgroup.js';
import { renderIdMap } from '../spec/id-map.js';
import { splitStreams, streamFifosStep, buildDetachedReaperScript, buildInitScript, buildReaperScript, buildSupervisorScript, keptStdin, stdinFifoStep } from './box-scripts.js';
import { enterBoxStep, planNetwork, type InBoxCommand } from '../net/plan-network.js';
import { buildTtyReaperScript } from '../tty/tty-reaper-script.js';
import { RELAY_SCRIPT } from '../tty/relay-program.js';
import type { BoxScript, DetachFiles, Plan, Step } from './types.js';
import { helperTitle, launchArgv, runScriptArgv } from './script-env.js';
import { ulimitSteps } from './rlimit-step.js';
import { sysctlCommands } from '../spec/sysctl-flag.js';

/** setpriv sets the parent-death signal, then execs the rest: if nsbox is killed, the box dies with it. */
const DIE_WITH_NSBOX = ['setpriv', '--pdeathsig', 'KILL', '--'];
/** A foreground box without -t: a session of its own, so it has no controlling terminal (/dev/tty is not the caller's). */
const OWN_SESSION = ['setsid', '--'];
/** How the box outlives nsbox (`run -d`): its own session, output to files, a reaper that records the exit. */
export interface RunPlanOptions {
  readonly detach?: DetachFiles;
}

/** Build the plan. `title` is the nsbox command line shown at the top of --explain. */
export function buildRunPlan(spec: BoxDescription, title: string, options: RunPlanOptions = {}): Plan {
  const steps: Step[] = [];
  const detach = options.detach;
  const usesReaper = hasReaper(spec, detach !== undefined);
  const tty = spec.process.tty && !detach;
  const explicitMap = spec.idMapping.kind === 'explicit' ? spec.idMapping : undefined;

  const cgroup = spec.cgroup ? planCgroup(spec.cgroup, spec.id) : undefined;
  const { steps: joinSteps, selfJoin } = chooseJoin(cgroup, spec.namespaces);

  if (explicitMap) {
    steps.push(
      {
        kind: 'launch',
        as: 'holder',
        argv: [...DIE_WITH_NSBOX, 'unshare', '--user', '--', 'sleep', 'infinity'],
        gated: false,
        why: 'Create the user namespace first and hold it open: root may write any id map to it (newuidmap would refuse ranges not in /etc/subuid).',
      },
      { kind: 'await-namespaces', pid: 'holder', isolate: ['user'], checkShared: true, why: 'Wait until unshare has made the user namespace.' },
      {
        kind: 'write-file',
        path: '/proc/{holder}/uid_map',
        content: renderIdMap(explicitMap.uid),
        why: 'Map ids: each line is "inside outside count" (a uid inside the box is a different, unprivileged uid on the host).',
      },
      { kind: 'write-file', path: '/proc/{holder}/gid_map', content: renderIdMap(explicitMap.gid), why: 'Map group ids the same way.' },
    );
  }

  const scripts: BoxScript[] = [];
  const init: BoxScript = { name: 'init', why: 'The box\'s first process: last set-up from inside, then exec of the command.', text: buildInitScript(spec, usesReaper ? 'none' : 'first', usesReaper ? [] : selfJoin) };
  let boxArgv: string[];
  // run -dit: the relay runs under the supervisor, output to the log, and serves nsbox attach on this socket.
  const attachSocket = spec.process.tty ? detach?.attachSocket : undefined;
  const stdinFifo = keptStdin(spec, detach);
  const { detach: launchDetach, streams } = splitStreams(detach, spec.process.tty);
  if (usesReaper) {
    const reaper: BoxScript = attachSocket !== undefined
      ? { name: 'reaper', why: 'Becomes the terminal relay of the box\'s first process (-dit): output to the log, nsbox attach on its socket.', text: buildTtyReaperScript({ id: spec.id, ownDevpts: false, attachSocket, selfJoin }) }
      : detach
      ? { name: 'reaper', why: 'Waits for PID 1 (outside its pid namespace, if any) and exits with its status.', text: buildDetachedReaperScript({ selfJoin }) }
      : tty
        ? { name: 'reaper', why: 'Becomes the terminal relay of the box\'s first process (-t), outside its pid namespace if any.', text: buildTtyReaperScript({ id: spec.id, ownDevpts: false, selfJoin }) }
        : { name: 'reaper', why: 'Waits outside the new pid namespace for PID 1 and reports its exit status.', text: buildReaperScript({ selfJoin }) };
    if (detach) scripts.push({ name: 'supervisor', why: 'Outlives nsbox: starts the box, writes its exit status to the box\'s exit file, restarts or removes it.', text: buildSupervisorScript(detach.after, attachSocket, stdinFifo, streams) });
    scripts.push(reaper, init, ...(tty || attachSocket !== undefined ? [RELAY_SCRIPT] : []));
    boxArgv = [...runScriptArgv('reaper', helperTitle('reaper', spec.id)), ...spec.process.argv];
  } else {
    scripts.push(init);
    boxArgv = [...runScriptArgv('init', 'nsbox-init'), ...spec.process.argv];
  }

  if (stdinFifo !== undefined) steps.push(stdinFifoStep(stdinFifo));
  if (streams) steps.push(streamFifosStep(streams));
  steps.push({
    kind: 'launch',
    as: 'box',
    // setpriv last before unshare: nsenter's switch to root of the user namespace would clear the parent-death signal.
    // setsid first: right after env at the head of the argv, nsbox does both itself (spawn options, no process).
    argv: launchArgv(spec.id, scripts, detach !== undefined, [...(detach || tty ? [] : OWN_SESSION), ...(cgroup?.launchPrefix ?? []), ...(explicitMap ? ['nsenter', '--target', '{holder}', '--user', '--'] : []), ...DIE_WITH_NSBOX, ...unshareArgv(spec, !!explicitMap), '--', ...boxArgv], undefined, spec.process.argv.length),
    gated: true,
    ...(detach ? {} : { literalTail: spec.process.argv.length }),
    ...(tty ? { tty: true } : {}),
    why: detach ? launchWhy(spec, !!explicitMap, false).replace('dying with nsbox (parent-death signal)', 'under its supervisor, in a session of its own that outlives nsbox, output to its log') : launchWhy(spec, !!explicitMap, !tty),
    ...(launchDetach ? { detach: launchDetach, supervised: true } : {}),
  });
  // The cgroups are made while the box waits at its gate; it joins them itself after the gate (selfJoin), or (a user
  // namespace, v2) nsbox moves it in the background: that move waits for an RCU grace period, which the namespace
  // check and the network steps overlap.
  if (cgroup) steps.push(...cgroup.setup, ...joinSteps);
  steps.push({
    kind: 'await-namespaces',
    pid: 'box',
    isolate: spec.namespaces,
    checkShared: true,
    why: 'Wait until the namespaces exist, and check from /proc that each one asked for is new and every other one is shared.',
  });
  steps.push(...ulimitSteps(spec));
  if (explicitMap) steps.push({ kind: 'kill', pid: 'holder', why: 'The box now holds the user namespace; the holder can go.' });
  const net = spec.network ? planNetwork(spec.network, spec.id, { bindFiles: true }) : undefined;
  if (net) steps.push(...net.steps);
  // Every in-box step (network, bound files, hostname) in one nsenter: one process instead of one per step.
  const inBox: InBoxCommand[] = [...(net?.inBox ?? []), ...sysctlCommands(spec.sysctls)];
  if (spec.hostname !== undefined) {
    inBox.push({ namespaces: ['uts'], argv: ['hostname', spec.hostname], why: 'set the hostname in the box\'s own uts namespace (the host\'s is untouched)' });
  }
  const enter = enterBoxStep(inBox);
  if (enter) steps.push(enter);
  const early = !detach && !tty && selfJoin.length === 0 && steps.slice(steps.findIndex((s) => s.kind === 'launch' && s.as === 'box') + 1).every((s) => s.kind === 'await-namespaces');
  steps.push(early
    ? { kind: 'release', closesGate: true, why: 'Open the gate: the box runs its command now (nsbox closes its end of fd 3 once the init has said "ready" there).' }
    : { kind: 'release', why: 'Open the gate: the box runs its command now.' });
  // Detached: no wait step; the executor hands the box over once its command has started.
  if (!detach) steps.push({ kind: 'wait', why: 'Wait for the box; the command\'s exit status is nsbox\'s (128+N if signal N killed it).' });
  return { title, scripts: early ? withStepsBeforeGate(scripts, spec) : scripts, steps, ...(cgroup ? { cgroup: cgroup.box } : {}) };
}

/**
 * A box nothing is set up for from outside (no cgroup, id map, limits, network or hostname step between its launch
 * and release): the init's own steps (lo up, /proc) need not wait for the gate, so they run while nsbox checks the
 * namespaces, and PID 1 waits at the gate just before its exec (the reaper starts it at once: no step from outside
 * that PID 1 would have to inherit comes later). They act only inside the namespaces unshare made before it ran the
 * first shell; the command still starts only once nsbox has checked them. The init says "ready" on fd 3 once its
 * steps are done and nothing after it, so nsbox closes its end then (GATE_READY): while the command runs, not after.
 */
function withStepsBeforeGate(scripts: readonly BoxScript[], spec: BoxDescription): BoxScript[] {
  return scripts.map((s) =>
    s.name === 'init' ? { ...s, text: buildInitScript(spec, 'after-steps') }
    : s.name === 'reaper' ? { ...s, text: buildReaperScript({ gate: false }) }
    : s);
}

/**
 * Whether the box's first process is a reaper's child (findCommandPid needs to know): with a pid namespace; when
 * detached (someone must outlive nsbox to record PID 1's exit status); with -t (the reaper becomes the relay).
 */
export function hasReaper(spec: BoxDescription, detached: boolean): boolean {
  return spec.namespaces.includes('pid') || detached || spec.process.tty;
}

/** unshare(1) with one flag per namespace asked for (the user namespace comes from nsenter when nsbox maps ids). */
function unshareArgv(spec: BoxDescription, userFromHolder: boolean): string[] {
  const argv = ['unshare'];
  for (const name of spec.namespaces) {
    if (name === 'user' && userFromHolder) continue;
    argv.push(namespaceInfo(name).flag);
  }
  if (spec.namespaces.includes('mount')) argv.push('--propagation', 'private');
  switch (spec.idMapping.kind) {
    case 'root-user':
      argv.push('--map-root-user');
      break;
    case 'current-user':
      argv.push('--map-current-user');
      break;
    case 'auto':
      argv.push('--map-auto', '--setuid', '0', '--setgid', '0');
      break;
    case 'none':
    case 'explicit':
      break;
  }
  return argv;
}

function launchWhy(spec: BoxDescription, userFromHolder: boolean, ownSession: boolean): string {
  const names = spec.namespaces.filter((n) => !(n === 'user' && userFromHolder));
  const made = names.length > 0 ? `Create new ${names.join(', ')} namespace${names.length > 1 ? 's' : ''}` : 'Start the box (no new namespace asked for)';
  const parts = [made];
  if (userFromHolder) parts.push('inside the held user namespace (nsenter also becomes root there)');
  if (ownSession) parts.push('in a session of its own (no controlling terminal)');
  parts.push('dying with nsbox (parent-death signal)');
  if (spec.namespaces.includes('mount')) parts.push('with private mount propagation so nothing mounted inside reaches the host');
  return `${parts.join(', ')}; the box waits at its gate on fd 3.`;
}
