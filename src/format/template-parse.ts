// Parses the Go text/template subset Docker users write in --format into a tree: text, {{pipelines}}, if/else,
// range/else, with/else, variables, field chains, literals, function calls and `|`. Pure; no evaluation here.

import { TemplateError } from './template-error.js';

/** An operand: `.A.B`, `$x.A`, a literal, a function name, or a parenthesised pipeline with fields after it. */
export type Operand =
  | { readonly kind: 'field'; readonly path: readonly string[] }
  | { readonly kind: 'variable'; readonly name: string; readonly path: readonly string[] }
  | { readonly kind: 'literal'; readonly value: unknown }
  | { readonly kind: 'function'; readonly name: string }
  | { readonly kind: 'group'; readonly pipeline: Pipeline; readonly path: readonly string[] };

/** `f a b` or a lone operand. */
export interface Command {
  readonly operands: readonly Operand[];
}

/** `$k, $v := cmd | cmd ...` */
export interface Pipeline {
  readonly declare: readonly string[];
  /** `=` (assign to an existing variable) instead of `:=`. */
  readonly assign: boolean;
  readonly commands: readonly Command[];
  /** The action's text, for error messages. */
  readonly source: string;
}

export type TemplateNode =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'action'; readonly pipeline: Pipeline }
  | { readonly kind: 'if' | 'with'; readonly pipeline: Pipeline; readonly then: readonly TemplateNode[]; readonly otherwise: readonly TemplateNode[] }
  | { readonly kind: 'range'; readonly pipeline: Pipeline; readonly body: readonly TemplateNode[]; readonly otherwise: readonly TemplateNode[] }
  | { readonly kind: 'break' | 'continue' };

type Token =
  | { readonly t: 'field'; readonly path: string[] }
  | { readonly t: 'var'; readonly name: string; readonly path: string[] }
  | { readonly t: 'ident'; readonly name: string }
  | { readonly t: 'literal'; readonly value: unknown }
  | { readonly t: 'punct'; readonly p: '|' | '(' | ')' | ':=' | '=' | ',' }
  | { readonly t: 'path'; readonly path: string[] };

interface Action {
  readonly tokens: Token[];
  readonly source: string;
}

type Piece = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'action'; readonly action: Action };

/** Parse a template text into its tree; a syntax error is a TemplateError naming the action. */
export function parseTemplate(text: string): TemplateNode[] {
  const pieces = splitActions(text);
  let at = 0;
  type ListEnd = { readonly keyword: 'else' | 'end'; readonly tail: readonly Token[]; readonly source: string } | undefined;

  /** Nodes up to the next {{else}}/{{end}} of this level (consumed), or to the end of the text. */
  const parseList = (): { nodes: TemplateNode[]; end: ListEnd } => {
    const nodes: TemplateNode[] = [];
    while (at < pieces.length) {
      const piece = pieces[at++]!;
      if (piece.kind === 'text') {
        if (piece.text !== '') nodes.push({ kind: 'text', text: piece.text });
        continue;
      }
      const { tokens, source } = piece.action;
      if (tokens.length === 0) throw new TemplateError(`missing value for command in {{${source}}}`);
      const head = tokens[0]!;
      const keyword = head.t === 'ident' ? head.name : '';
      if (keyword === 'end' || keyword === 'else') return { nodes, end: { keyword, tail: tokens.slice(1), source } };
      if (keyword === 'if' || keyword === 'with' || keyword === 'range') nodes.push(parseBlock(keyword, tokens.slice(1), source));
      else if (keyword === 'break' || keyword === 'continue') nodes.push({ kind: keyword });
      else if (['define', 'template', 'block'].includes(keyword)) throw new TemplateError(`{{${keyword}}} is not supported`);
      else nodes.push({ kind: 'action', pipeline: parsePipeline(tokens, source, false) });
    }
    return { nodes, end: undefined };
  };

  /** if/with/range and everything to its {{end}}; `{{else if X}}` is a nested if that shares that {{end}}. */
  const parseBlock = (keyword: 'if' | 'with' | 'range', tokens: readonly Token[], source: string): TemplateNode => {
    const pipeline = parsePipeline(tokens, source, keyword === 'range');
    const body = parseList();
    if (!body.end) throw new TemplateError(`unexpected EOF: {{${source}}} has no {{end}}`);
    let otherwise: TemplateNode[] = [];
    if (body.end.keyword === 'else') {
      const [next, ...rest] = body.end.tail;
      if (next) {
        if (next.t !== 'ident' || (next.name !== 'if' && next.name !== 'with') || keyword === 'range') {
          throw new TemplateError(`unexpected tokens after else in {{${body.end.source}}}`);
        }
        otherwise = [parseBlock(next.name, rest, body.end.source.replace(/^else\s+/, ''))];
      } else {
        const tail = parseList();
        if (tail.end?.keyword !== 'end') throw new TemplateError(`unexpected EOF: {{${source}}} has no {{end}}`);
        otherwise = tail.nodes;
      }
    }
    return keyword === 'range' ? { kind: 'range', pipeline, body: body.nodes, otherwise } : { kind: keyword, pipeline, then: body.nodes, otherwise };
  };

  const { nodes, end } = parseList();
  if (end) throw new TemplateError(`unexpected {{${end.keyword}}}`);
  return nodes;
}

/** Text and {{actions}}, with Go's trim markers: `{{- ` eats the space before, ` -}}` the space after. */
function splitActions(text: string): Piece[] {
  const pieces: Piece[] = [];
  let rest = text;
  let trimNext = false;
  for (;;) {
    const open = rest.indexOf('{{');
    if (open === -1) {
      pieces.push({ kind: 'text', text: trimNext ? rest.trimStart() : rest });
      return pieces;
    }
    let before = rest.slice(0, open);
    if (trimNext) before = before.trimStart();
    let inner = rest.slice(open + 2);
    if (/^-[ \t\r\n]/.test(inner)) {
      before = before.trimEnd();
      inner = inner.slice(1);
    }
    pieces.push({ kind: 'text', text: before });
    const close = findClose(inner);
    if (close === -1) throw new TemplateError(`unclosed action: {{${inner.slice(0, 40)}`);
    let body = inner.slice(0, close);
    trimNext = /[ \t\r\n]-$/.test(body);
    if (trimNext) body = body.slice(0, -1);
    rest = inner.slice(close + 2);
    if (/^\s*\/\*[\s\S]*\*\/\s*$/.test(body)) continue; // {{/* a comment */}}
    pieces.push({ kind: 'action', action: { tokens: lex(body), source: body.trim() } });
  }
}

/** Index of the `}}` that closes an action (not one inside a quoted string). */
function findClose(text: string): number {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === '`' || c === "'") quote = c;
    else if (c === '}' && text[i + 1] === '}') return i;
  }
  return -1;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*/;
const FIELDS = /^(?:\.[A-Za-z0-9_]+)+/;

function lex(body: string): Token[] {
  const tokens: Token[] = [];
  let s = body;
  const fail = (why: string) => new TemplateError(`${why} in {{${body.trim()}}}`);
  while ((s = s.replace(/^[ \t\r\n]+/, '')) !== '') {
    let m: RegExpExecArray | null;
    if (s.startsWith(':=')) {
      tokens.push({ t: 'punct', p: ':=' });
      s = s.slice(2);
    } else if ('|(),='.includes(s[0]!)) {
      tokens.push({ t: 'punct', p: s[0] as '|' });
      s = s.slice(1);
    } else if ((m = FIELDS.exec(s))) {
      const after = tokens[tokens.length - 1];
      const path = m[0].slice(1).split('.');
      // `(pipeline).Field`: a field chain right after `)`.
      tokens.push(after?.t === 'punct' && after.p === ')' && !/^\s/.test(body.slice(body.length - s.length - 1)) ? { t: 'path', path } : { t: 'field', path });
      s = s.slice(m[0].length);
    } else if (s[0] === '.') {
      tokens.push({ t: 'field', path: [] });
      s = s.slice(1);
    } else if (s[0] === '$') {
      const name = /^\$[A-Za-z0-9_]*/.exec(s)![0];
      s = s.slice(name.length);
      const fields = FIELDS.exec(s);
      tokens.push({ t: 'var', name, path: fields ? fields[0].slice(1).split('.') : [] });
      if (fields) s = s.slice(fields[0].length);
    } else if (s[0] === '"') {
      m = /^"(?:[^"\\\n]|\\.)*"/.exec(s);
      if (!m) throw fail('unterminated quoted string');
      tokens.push({ t: 'literal', value: JSON.parse(m[0].replace(/\\'/g, "'").replace(/\\x([0-9a-fA-F]{2})/g, '\\u00$1')) });
      s = s.slice(m[0].length);
    } else if (s[0] === '`') {
      const end = s.indexOf('`', 1);
      if (end === -1) throw fail('unterminated raw quoted string');
      tokens.push({ t: 'literal', value: s.slice(1, end) });
      s = s.slice(end + 1);
    } else if (s[0] === "'") {
      m = /^'(\\.|[^'\\])'/.exec(s);
      if (!m) throw fail('bad character constant');
      tokens.push({ t: 'literal', value: (JSON.parse(`"${m[1]}"`) as string).codePointAt(0) });
      s = s.slice(m[0].length);
    } else if ((m = /^[-+]?(?:0x[0-9a-fA-F]+|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)/.exec(s))) {
      tokens.push({ t: 'literal', value: Number(m[0]) });
      s = s.slice(m[0].length);
    } else if ((m = IDENT.exec(s))) {
      const name = m[0];
      tokens.push(name === 'true' || name === 'false' ? { t: 'literal', value: name === 'true' } : name === 'nil' ? { t: 'literal', value: null } : { t: 'ident', name });
      s = s.slice(name.length);
    } else {
      throw fail(`unexpected ${JSON.stringify(s[0])}`);
    }
  }
  return tokens;
}

function parsePipeline(tokens: readonly Token[], source: string, allowTwo: boolean): Pipeline {
  let rest = [...tokens];
  const declare: string[] = [];
  let assign = false;
  // `$x :=`, `$x =`, and (range only) `$k, $v :=`.
  const decl = rest.findIndex((t) => t.t === 'punct' && (t.p === ':=' || t.p === '='));
  if (decl > 0 && rest.slice(0, decl).every((t) => t.t === 'var' || (t.t === 'punct' && t.p === ','))) {
    for (const t of rest.slice(0, decl)) if (t.t === 'var') declare.push(t.name);
    if (declare.length > (allowTwo ? 2 : 1)) throw new TemplateError(`too many declarations in {{${source}}}`);
    assign = (rest[decl] as { p: string }).p === '=';
    rest = rest.slice(decl + 1);
  }
  const commands: Command[] = [];
  let current: Operand[] = [];
  for (let i = 0; i < rest.length; i++) {
    const t = rest[i]!;
    if (t.t === 'punct' && t.p === '|') {
      if (current.length === 0) throw new TemplateError(`missing command before | in {{${source}}}`);
      commands.push({ operands: current });
      current = [];
    } else if (t.t === 'punct' && t.p === '(') {
      let depth = 1;
      let j = i + 1;
      for (; j < rest.length && depth > 0; j++) {
        const u = rest[j]!;
        if (u.t === 'punct' && u.p === '(') depth++;
        if (u.t === 'punct' && u.p === ')') depth--;
      }
      if (depth !== 0) throw new TemplateError(`unclosed left paren in {{${source}}}`);
      const pipeline = parsePipeline(rest.slice(i + 1, j - 1), source, false);
      const next = rest[j];
      const path = next?.t === 'path' ? next.path : [];
      if (next?.t === 'path') j++;
      current.push({ kind: 'group', pipeline, path });
      i = j - 1;
    } else if (t.t === 'punct') {
      throw new TemplateError(`unexpected "${t.p}" in {{${source}}}`);
    } else if (t.t === 'field' || t.t === 'path') {
      current.push({ kind: 'field', path: t.path });
    } else if (t.t === 'var') {
      current.push({ kind: 'variable', name: t.name, path: t.path });
    } else if (t.t === 'literal') {
      current.push({ kind: 'literal', value: t.value });
    } else {
      current.push({ kind: 'function', name: t.name });
    }
  }
  if (current.length === 0) throw new TemplateError(`missing value for command in {{${source}}}`);
  commands.push({ operands: current });
  return { declare, assign, commands, source };
}
