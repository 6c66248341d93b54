// `--explain=steps`: the plan for people. Numbered steps, each with its reason and the one command it runs; long
// paths become variables defined once ($ROOT, $BOX, $STATE, $CGROUP); the fixed machinery (gate, namespace check,
// cleanup trap) is one line each. `--explain` (the full, runnable script) stays the reference.

import { namespaceInfo } from '../host/namespaces.js';
import { quoteArgv, quoteLiteralArgv, quoteTemplate, quoteWord } from './quote.js';
import { undosOf, type BoxScript, type Plan, type Step, type UndoStep } from './types.js';

/** A name for a long path, in the order it is defined (later ones may use earlier ones). */
interface PathVar {
  readonly name: string;
  readonly value: string;
}

const ID = '[0-9a-f]{64}';

/** Finds the paths worth naming: the store root and container dir, the box's state dir, its cgroup. */
export function findPathVars(text: string): PathVar[] {
  const vars: PathVar[] = [];
  const container = new RegExp(`(/[^\\s'":,=]*?)/containers/(${ID})`).exec(text);
  if (container) vars.push({ name: 'ROOT', value: container[1]! }, { name: 'BOX', value: `${container[1]}/containers/${container[2]}` });
  const state = new RegExp(`(/[^\\s'":,=]*?/boxes/${ID})`).exec(text);
  if (state) vars.push({ name: 'STATE', value: state[1]! });
  // A box cgroup below some controller's mount: /sys/fs/cgroup[/controller]/PARENT/NAME.
  const cgroup = /\/sys\/fs\/cgroup(?:\/[a-z_,=]+)?((?:\/[^\s'":]+?)?\/nsbox-[0-9a-f]{12,64})(?=[\s'"/]|$)/.exec(text);
  if (cgroup) vars.push({ name: 'CGROUP', value: cgroup[1]! });
  return vars;
}

/** Replaces every occurrence of a variable's value by $NAME (longest values first, so $BOX wins over $ROOT). */
function shorten(text: string, vars: readonly PathVar[]): string {
  let out = text;
  for (const v of [...vars].sort((a, b) => b.value.length - a.value.length)) out = out.split(v.value).join(`$${v.name}`);
  return out;
}

function firstLine(text: string): string {
  return text.split('\n')[0]!;
}

/** The one command of a step, as it would be typed (placeholders as $box/$holder). */
function commandOf(step: Step): string {
  switch (step.kind) {
    case 'exec':
      return (step.literal ? quoteLiteralArgv : quoteArgv)(step.argv);
    case 'write-file': {
      const quote = step.literal ? quoteWord : quoteTemplate;
      return `echo ${quote(step.content.replace(/\n$/, '').replace(/\n/g, ' '))} > ${quote(step.path)}`;
    }
    case 'write-text':
      {
      const lines = step.content.split('\n').length - 1;
      return `cat > ${quoteTemplate(step.path)}    (${lines} line${lines === 1 ? '' : 's'})`;
    }
    case 'mkdir':
      return `mkdir ${(step.literal ? quoteWord : quoteTemplate)(step.path)}`;
    case 'launch':
      return `${[quoteArgv(step.argv.slice(0, step.argv.length - (step.literalTail ?? 0))), quoteLiteralArgv(step.argv.slice(step.argv.length - (step.literalTail ?? 0)))].filter(Boolean).join(' ')}${step.detach ? ` >>${step.detach.log} 2>&1 </dev/null &` : ' &'}`;
    case 'await-namespaces':
      return `check /proc/$${step.pid}/ns: new ${step.isolate.map((n) => namespaceInfo(n).procFile.replace('_for_children', '')).join(' ')}${step.checkShared ? ', every other one the host\'s' : ''}`;
    case 'kill':
      return `kill -KILL $${step.pid}`;
    case 'release':
      return 'echo go > $gate';
    case 'wait':
      return 'wait $box';
  }
}

function undoOf(undo: UndoStep): string {
  switch (undo.kind) {
    case 'exec':
      return quoteArgv(undo.argv);
    case 'rmdir':
      return `rmdir ${undo.path}`;
    case 'remove':
      return `rm -rf ${undo.path}`;
    case 'write-file':
      return `echo ${undo.content.trim()} > ${undo.path}`;
    case 'remove-cgroup':
      return `kill what is left in ${undo.path}, rmdir it`;
  }
}

/** A gate shell's move into its cgroups (selfJoinLines): shown as the write it is, without its failure report. */
const SELF_JOIN = /^echo 0 2>&3 >(\S+) \|\|/;

function selfJoinCommand(line: string): string {
  return `echo 0 > ${SELF_JOIN.exec(line)![1]}  # joins its cgroup itself`;
}

/** A box script's stages: its numbered headings ("# 1. ...") with the `step` commands below each. */
function scriptOutline(script: BoxScript): string[] {
  const out: string[] = [];
  let heading = false;
  for (const line of script.text.split('\n')) {
    const stage = /^# (\d+\.) (.*)$/.exec(line);
    const more = /^# {3,}(\S.*)$/.exec(line);
    if (stage) {
      out.push(`   ${stage[1]} ${stage[2]}`);
      heading = true;
    } else if (more && heading && out.length > 0 && /^ {3}\d+\./.test(out[out.length - 1]!)) {
      out[out.length - 1] += ` ${more[1]}`; // a heading's continuation line
    } else if (heading && /^(step |exec |cd )/.test(line)) {
      out.push(`        ${line.replace(/^step /, '').slice(0, 160)}${line.length > 166 ? ' …' : ''}`);
    } else if (heading && SELF_JOIN.test(line)) {
      out.push(`        ${selfJoinCommand(line)}`);
    }
  }
  if (out.length === 0) {
    const commands = script.text.split('\n').filter((l) => /^(step |exec |setpriv |env |mount )/.test(l) || SELF_JOIN.test(l));
    for (const c of commands) out.push(`        ${SELF_JOIN.test(c) ? selfJoinCommand(c) : c.replace(/^step /, '')}`);
  }
  return out;
}

/** The short explain text. */
export function renderSteps(plan: Plan): string {
  const everything = [plan.title, ...plan.scripts.map((s) => s.text), ...plan.steps.map((s) => JSON.stringify(s))].join('\n');
  const vars = findPathVars(everything);
  const out: string[] = [`# ${firstLine(plan.title)}`, '# The steps nsbox runs (--explain prints them as a runnable sh script).'];
  const defined = vars.map((v, i) => `${v.name}=${shorten(v.value, vars.slice(0, i))}`);
  if (defined.length) out.push(...defined.map((d) => `  ${d}`));
  const hasGate = plan.steps.some((s) => s.kind === 'launch' && s.gated);
  if (hasGate) out.push('  (the box waits at a gate, a fifo on its fd 3, until the steps from outside are done)');
  let n = 0;
  for (const step of plan.steps) {
    n++;
    out.push('', `${String(n).padStart(2)}. ${shorten(firstLine(step.why), vars)}`, `    $ ${shorten(commandOf(step), vars)}`);
    if (step.kind === 'launch') {
      for (const script of plan.scripts.filter((s) => step.argv.some((w) => w.endsWith(`{script:${s.name}}`)))) {
        const outline = scriptOutline(script);
        if (outline.length === 0) continue;
        out.push(`    script "${script.name}": ${shorten(firstLine(script.why), vars)}`, ...outline.map((l) => shorten(l, vars)));
      }
    }
  }
  const undos = plan.steps.flatMap(undosOf);
  out.push('', undos.length ? `On exit or failure: undo ${undos.length} step${undos.length === 1 ? '' : 's'}, newest first:` : 'On exit or failure: nothing to undo.');
  for (const u of [...undos].reverse()) out.push(`    $ ${shorten(undoOf(u), vars)}`);
  return `${out.join('\n')}\n`;
}
