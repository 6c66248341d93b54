// Runs a parsed template against JSON-shaped data as Go's text/template would: dot, $ and variables, field chains
// into maps (a missing key is <no value>), pipelines with the piped value as the last argument, if/with/range.

import { TemplateError } from './template-error.js';
import { terminalText } from './terminal-text.js';
import { FUNCTIONS, MISSING, isTrue, printValue, typeName } from './template-funcs.js';
import type { Command, Operand, Pipeline, TemplateNode } from './template-parse.js';

/** Variables in scope, innermost last ($ is the outermost). */
type Scope = { name: string; value: unknown }[];

class LoopSignal {
  constructor(readonly kind: 'break' | 'continue') {}
}

/** The template's output for `data`. */
export function executeTemplate(nodes: readonly TemplateNode[], data: unknown): string {
  const out: string[] = [];
  runList(nodes, data, [{ name: '$', value: data }], out);
  return out.join('');
}

function runList(nodes: readonly TemplateNode[], dot: unknown, scope: Scope, out: string[]): void {
  const mark = scope.length;
  try {
    for (const node of nodes) runNode(node, dot, scope, out);
  } finally {
    scope.length = mark; // variables live until the end of their block
  }
}

function runNode(node: TemplateNode, dot: unknown, scope: Scope, out: string[]): void {
  switch (node.kind) {
    case 'text':
      out.push(node.text);
      return;
    case 'action': {
      const value = runPipeline(node.pipeline, dot, scope);
      // A value is data (a box's, an image's): no terminal command in what is printed; the template's own text is the user's.
      if (node.pipeline.declare.length === 0) out.push(terminalText(printValue(value)));
      return;
    }
    case 'if':
    case 'with': {
      const mark = scope.length;
      const value = runPipeline(node.pipeline, dot, scope);
      if (isTrue(value)) runList(node.then, node.kind === 'with' ? value : dot, scope, out);
      else runList(node.otherwise, dot, scope, out);
      scope.length = mark;
      return;
    }
    case 'range':
      runRange(node, dot, scope, out);
      return;
    case 'break':
    case 'continue':
      throw new LoopSignal(node.kind);
  }
}

function runRange(node: Extract<TemplateNode, { kind: 'range' }>, dot: unknown, scope: Scope, out: string[]): void {
  const value = runPipeline({ ...node.pipeline, declare: [] }, dot, scope);
  let items: [unknown, unknown][];
  if (Array.isArray(value)) items = value.map((v, i) => [i, v]);
  else if (value !== null && typeof value === 'object') items = Object.keys(value).sort().map((k) => [k, (value as Record<string, unknown>)[k]]);
  else if (typeof value === 'number' && Number.isInteger(value)) items = Array.from({ length: Math.max(0, value) }, (_v, i) => [i, i]);
  else if (value === MISSING || value === null || value === undefined) items = [];
  else throw new TemplateError(`range can't iterate over ${printValue(value)}`);
  if (items.length === 0) {
    runList(node.otherwise, dot, scope, out);
    return;
  }
  const names = node.pipeline.declare;
  for (const [key, item] of items) {
    const mark = scope.length;
    if (names.length === 1) scope.push({ name: names[0]!, value: item });
    if (names.length === 2) scope.push({ name: names[0]!, value: key }, { name: names[1]!, value: item });
    try {
      runList(node.body, item, scope, out);
    } catch (signal) {
      if (!(signal instanceof LoopSignal)) throw signal;
      if (signal.kind === 'break') break;
    } finally {
      scope.length = mark;
    }
  }
}

function runPipeline(pipeline: Pipeline, dot: unknown, scope: Scope): unknown {
  let value: unknown = MISSING;
  pipeline.commands.forEach((command, i) => {
    value = runCommand(command, dot, scope, pipeline, i === 0 ? [] : [value]);
  });
  if (pipeline.declare.length === 1) {
    const name = pipeline.declare[0]!;
    if (pipeline.assign) {
      const found = [...scope].reverse().find((v) => v.name === name);
      if (!found) throw new TemplateError(`undefined variable: ${name}`);
      found.value = value;
    } else scope.push({ name, value });
  }
  return value;
}

function runCommand(command: Command, dot: unknown, scope: Scope, pipeline: Pipeline, piped: readonly unknown[]): unknown {
  const [head, ...rest] = command.operands;
  const args = () => [...rest.map((o) => evalOperand(o, dot, scope, pipeline)), ...piped];
  if (head!.kind === 'function') {
    const fn = FUNCTIONS[head!.name];
    if (!fn) throw new TemplateError(`function "${head!.name}" not defined`);
    return fn(...args());
  }
  const value = evalOperand(head!, dot, scope, pipeline);
  // A method of the data (ps's .Label "key"): called with the command's other operands.
  if (typeof value === 'function') return (value as (...a: unknown[]) => unknown)(...args());
  if (rest.length > 0 || piped.length > 0) throw new TemplateError(`executing {{${pipeline.source}}}: can't give argument to non-function ${describeOperand(head!)}`);
  return value;
}

function evalOperand(operand: Operand, dot: unknown, scope: Scope, pipeline: Pipeline): unknown {
  switch (operand.kind) {
    case 'literal':
      return operand.value;
    case 'field':
      return walk(dot, operand.path, '', pipeline);
    case 'variable': {
      const found = [...scope].reverse().find((v) => v.name === operand.name);
      if (!found) throw new TemplateError(`undefined variable: ${operand.name}`);
      return walk(found.value, operand.path, operand.name, pipeline);
    }
    case 'group':
      return walk(runPipeline(operand.pipeline, dot, scope), operand.path, '(...)', pipeline);
    case 'function': {
      const fn = FUNCTIONS[operand.name];
      if (!fn) throw new TemplateError(`function "${operand.name}" not defined`);
      return fn();
    }
  }
}

/** `.A.B.C` from `value`: map keys by name; a missing key gives <no value>, a field of nothing is Go's error. */
function walk(value: unknown, path: readonly string[], base: string, pipeline: Pipeline): unknown {
  let current = value;
  path.forEach((name, i) => {
    const at = `${base}.${path.slice(0, i + 1).join('.')}`;
    if (current === MISSING || current === null || current === undefined) {
      throw new TemplateError(`executing {{${pipeline.source}}} at <${at}>: nil pointer evaluating interface {}.${name}`);
    }
    if (typeof current !== 'object' || Array.isArray(current)) {
      throw new TemplateError(`executing {{${pipeline.source}}} at <${at}>: can't evaluate field ${name} in type ${typeName(current)}`);
    }
    current = Object.prototype.hasOwnProperty.call(current, name) ? (current as Record<string, unknown>)[name] : MISSING;
  });
  return current;
}

function describeOperand(operand: Operand): string {
  if (operand.kind === 'field') return `.${operand.path.join('.')}`;
  if (operand.kind === 'variable') return [operand.name, ...operand.path].join('.');
  return printValue(operand.kind === 'literal' ? operand.value : '(...)');
}
