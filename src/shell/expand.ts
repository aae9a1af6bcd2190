import { unescapeC } from './output.js';
import type { Scope } from './scope.js';
import type { SyntaxNode } from './tree.js';
import { concat, lit, type Part, unknownValue, type Value } from './value.js';

/**
 * Word expansion over tree-sitter-bash nodes: quoting, parameter expansion and field splitting,
 * as far as they can be decided without running the script.
 */

/** What expansion needs from the walker: the source, the budget, and a way to run `$(...)`. */
export interface ExpandHost {
  readonly src: string;
  tick(): void;
  enter(): void;
  leave(): void;
  /** `$(...)` still runs its commands (which may write sysctls), even though its output is unknown. */
  runSubstitution(node: SyntaxNode, scope: Scope): void;
}

/** A piece of a word; `split` marks unquoted expansion results, which undergo field splitting. */
interface Piece {
  part: Part;
  split: boolean;
}

const IFS = ' \t\n';

export function text(host: ExpandHost, node: { startIndex: number; endIndex: number }): string {
  return host.src.slice(node.startIndex, node.endIndex);
}

/** Expands one word to a single value without field splitting (assignments, redirect targets). */
export function expandValue(host: ExpandHost, scope: Scope, node: SyntaxNode): Value {
  return concat(...pieces(host, scope, node, false).map((p) => [p.part]));
}

/** Expands command arguments into fields, as the command will receive them. */
export function expandFields(host: ExpandHost, scope: Scope, nodes: SyntaxNode[]): Value[] {
  const fields: Value[] = [];
  for (const n of nodes) fields.push(...splitFields(pieces(host, scope, n, false)));
  return fields;
}

function splitFields(ps: Piece[]): Value[] {
  const out: Value[] = [];
  let cur: Part[] = [];
  let has = false;
  const flush = () => {
    if (has) out.push(concat(cur));
    cur = [];
    has = false;
  };
  for (const p of ps) {
    if (!p.split || !('text' in p.part)) {
      cur.push(p.part);
      has = true;
      continue;
    }
    let word = '';
    for (const ch of p.part.text) {
      if (IFS.includes(ch)) {
        if (word !== '') {
          cur.push({ text: word });
          has = true;
          word = '';
        }
        flush();
      } else {
        word += ch;
      }
    }
    if (word !== '') {
      cur.push({ text: word });
      has = true;
    }
  }
  flush();
  return out;
}

function pieces(host: ExpandHost, scope: Scope, node: SyntaxNode, quoted: boolean): Piece[] {
  host.tick();
  host.enter();
  try {
    return piecesInner(host, scope, node, quoted);
  } finally {
    host.leave();
  }
}

function piecesInner(host: ExpandHost, scope: Scope, node: SyntaxNode, quoted: boolean): Piece[] {
  const t = text(host, node);
  const litPiece = (s: string): Piece[] => [{ part: { text: s }, split: false }];
  switch (node.type) {
    case 'command_name': {
      const inner = node.namedChild(0);
      return inner ? pieces(host, scope, inner, quoted) : litPiece(t);
    }
    case 'word':
      return litPiece(quoted ? t : unescapeUnquoted(t));
    case 'number':
      return litPiece(t);
    case 'raw_string':
      return litPiece(t.slice(1, -1));
    case 'ansi_c_string':
      return litPiece(unescapeC(t.slice(2, -1)).text);
    case 'string':
      return stringPieces(host, scope, node);
    case 'concatenation': {
      const out: Piece[] = [];
      for (const c of node.namedChildren) out.push(...pieces(host, scope, c, quoted));
      return out;
    }
    case 'simple_expansion':
    case 'expansion':
      return expansionPieces(host, scope, node, quoted);
    case 'command_substitution':
      host.runSubstitution(node, scope);
      return [{ part: { unknown: `command substitution ${clip(t)}` }, split: !quoted }];
    case 'arithmetic_expansion':
      return [{ part: { unknown: `arithmetic ${clip(t)}` }, split: !quoted }];
    case 'process_substitution':
      host.runSubstitution(node, scope);
      return [{ part: { unknown: 'process substitution' }, split: false }];
    default:
      return [{ part: { unknown: `unsupported ${node.type}` }, split: false }];
  }
}

// Double-quoted strings: tree-sitter leaves some literal text outside any child node, so the
// gaps between children are literal text too.
function stringPieces(host: ExpandHost, scope: Scope, node: SyntaxNode): Piece[] {
  const children = node.children;
  const open = children[0];
  const close = children[children.length - 1];
  if (!open || !close || children.length < 2) return [];
  const out: Piece[] = [];
  let at = open.endIndex;
  const literal = (end: number) => {
    if (end > at) out.push({ part: { text: unescapeDouble(host.src.slice(at, end)) }, split: false });
  };
  for (const c of children.slice(1, -1)) {
    if (c.type === 'string_content') {
      literal(c.startIndex);
      out.push({ part: { text: unescapeDouble(text(host, c)) }, split: false });
    } else {
      const start = expansionStart(host, c);
      literal(start);
      out.push(...pieces(host, scope, c, true));
    }
    at = c.endIndex;
  }
  // The closing quote token can swallow preceding whitespace (`" "`), so use its last character.
  literal(close.endIndex - 1);
  return out;
}

// tree-sitter-bash sometimes includes the preceding space in a `simple_expansion` ("$LO $HI").
function expansionStart(host: ExpandHost, node: SyntaxNode): number {
  if (node.type !== 'simple_expansion') return node.startIndex;
  const dollar = host.src.indexOf('$', node.startIndex);
  return dollar === -1 || dollar >= node.endIndex ? node.startIndex : dollar;
}

function expansionPieces(host: ExpandHost, scope: Scope, node: SyntaxNode, quoted: boolean): Piece[] {
  const named = node.namedChildren;
  const nameNode = named[0];
  const fromValue = (v: Value): Piece[] => v.map((part) => ({ part, split: !quoted }));
  if (!nameNode || (nameNode.type !== 'variable_name' && nameNode.type !== 'special_variable_name')) {
    return fromValue(unknownValue(`parameter expansion ${clip(text(host, node))}`));
  }
  const name = text(host, nameNode);
  const value = lookup(scope, name);
  if (node.type === 'simple_expansion' || named.length === 1) {
    // `${#X}` and friends also have a single named child; only plain `${X}` is a lookup.
    const t = text(host, node);
    if (node.type === 'expansion' && t !== `\${${name}}`) {
      return fromValue(unknownValue(`parameter expansion ${clip(t)}`));
    }
    return fromValue(value);
  }
  const op = node.childForFieldName('operator');
  const opText = op ? text(host, op) : '';
  const set = scope.vars.has(name) || (/^[0-9]+$/.test(name) && scope.positional !== null);
  if ((opText === ':-' || opText === '-' || opText === ':=' || opText === '=') && named.length === 2) {
    if (set) return fromValue(value);
    const def = named[1]!;
    const dv = pieces(host, scope, def, quoted);
    if (opText.endsWith('=')) {
      scope.vars.set(name, { kind: 'value', value: concat(...dv.map((p) => [p.part])), exported: false });
    }
    return dv;
  }
  return fromValue(unknownValue(`parameter expansion ${clip(text(host, node))}`));
}

function lookup(scope: Scope, name: string): Value {
  if (/^[0-9]+$/.test(name)) {
    const n = Number(name);
    if (scope.positional === null) return unknownValue(`$${name} (script argument)`);
    return scope.positional[n] ?? lit('');
  }
  if (name === '@' || name === '*') {
    if (scope.positional === null) return unknownValue(`$${name} (script arguments)`);
    return concat(...scope.positional.slice(1).flatMap((v, i) => (i === 0 ? [v] : [lit(' '), v])));
  }
  if (name.length === 1 && '#?$!-'.includes(name)) return unknownValue(`$${name}`);
  return scope.lookup(name);
}

/** Heredoc body as the command reads it. Quoted delimiters (`<<'EOF'`) turn expansion off. */
export function heredocValue(host: ExpandHost, scope: Scope, redirect: SyntaxNode): Value {
  const start = redirect.namedChildren.find((c) => c.type === 'heredoc_start');
  const body = redirect.namedChildren.find((c) => c.type === 'heredoc_body');
  if (!body) return [];
  const startText = start ? text(host, start) : '';
  const stripTabs = redirect.children.some((c) => c.type === '<<-');
  const quotedDelim = startText.includes("'") || startText.includes('"') || startText.includes('\\');
  let value: Value;
  if (quotedDelim) {
    value = lit(text(host, body));
  } else {
    const out: Value[] = [];
    let at = body.startIndex;
    const literal = (end: number) => {
      if (end > at) out.push(lit(unescapeHeredoc(host.src.slice(at, end))));
    };
    for (const c of body.namedChildren) {
      if (c.type === 'heredoc_content') {
        literal(c.startIndex);
        out.push(lit(unescapeHeredoc(text(host, c))));
      } else {
        literal(expansionStart(host, c));
        out.push(concat(...pieces(host, scope, c, true).map((p) => [p.part])));
      }
      at = c.endIndex;
    }
    literal(body.endIndex);
    value = concat(...out);
  }
  if (stripTabs) {
    value = value.map((p) =>
      'text' in p
        ? {
            text: p.text
              .split('\n')
              .map((l) => l.replace(/^\t+/, ''))
              .join('\n'),
          }
        : p,
    );
  }
  return value;
}

function unescapeUnquoted(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === '\\' && i + 1 < s.length) {
      i++;
      if (s[i] !== '\n') out += s[i];
    } else {
      out += ch;
    }
  }
  return out;
}

// Inside double quotes a backslash only escapes $ ` " \ and newline.
function unescapeDouble(s: string): string {
  return unescapeSome(s, '$`"\\\n');
}

function unescapeHeredoc(s: string): string {
  return unescapeSome(s, '$`\\\n');
}

function unescapeSome(s: string, escapable: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    const next = s[i + 1];
    if (ch === '\\' && next !== undefined && escapable.includes(next)) {
      i++;
      if (next !== '\n') out += next;
    } else {
      out += ch;
    }
  }
  return out;
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}
