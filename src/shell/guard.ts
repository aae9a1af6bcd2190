import type { Scope } from './scope.js';
import type { SyntaxNode } from './tree.js';

/**
 * Recognises the seed-000 netns guard: a comparison of `$POD_IP` (fieldRef status.podIP) with
 * `$HOST_IP` (fieldRef status.hostIP). On hostNetwork pods the two are equal, so code that only
 * runs when they differ cannot touch the node.
 *
 * 'differ' = the condition is true exactly when the pod has its own netns;
 * 'same' = true exactly when it shares the node's.
 */
export type Guard = 'differ' | 'same';

const POD = 'status.podIP';
const HOST = 'status.hostIP';

export function flip(g: Guard | null): Guard | null {
  return g === 'differ' ? 'same' : g === 'same' ? 'differ' : null;
}

export function guardOf(src: string, scope: Scope, node: SyntaxNode | null): Guard | null {
  if (!node) return null;
  const text = (n: SyntaxNode) => src.slice(n.startIndex, n.endIndex);
  switch (node.type) {
    case 'test_command': {
      const inner = node.namedChildren;
      const expr = inner.length === 1 ? inner[0]! : null;
      if (!expr) return null;
      if (expr.type === 'parenthesized_expression') return guardOf(src, scope, expr.namedChild(0));
      if (expr.type === 'unary_expression' && expr.child(0) && text(expr.child(0)!) === '!') {
        return flip(guardOf(src, scope, expr.namedChild(0)));
      }
      if (expr.type !== 'binary_expression') return null;
      const op = expr.childForFieldName('operator');
      return compare(
        scope,
        text,
        expr.childForFieldName('left'),
        op ? text(op) : '',
        expr.childForFieldName('right'),
      );
    }
    case 'binary_expression': {
      const op = node.childForFieldName('operator');
      return compare(
        scope,
        text,
        node.childForFieldName('left'),
        op ? text(op) : '',
        node.childForFieldName('right'),
      );
    }
    case 'command': {
      // `test A != B` and `[ A != B ]` written as plain commands.
      const name = node.childForFieldName('name');
      const args = node.childrenForFieldName('argument');
      const n = name ? text(name) : '';
      if (n === '[' && args.length === 4 && text(args[3]!) === ']') args.pop();
      if ((n !== 'test' && n !== '[') || args.length !== 3) return null;
      return compare(scope, text, args[0]!, text(args[1]!), args[2]!);
    }
    case 'negated_command':
      return flip(guardOf(src, scope, node.namedChild(0)));
    case 'list': {
      const left = guardOf(src, scope, node.namedChild(0));
      const right = guardOf(src, scope, node.namedChild(1));
      const op = node.child(1) ? text(node.child(1)!) : '';
      // `A && B` true implies both; `A || B` true implies one of them.
      if (op === '&&') return left ?? right;
      if (op === '||') return left === right ? left : null;
      return null;
    }
    case 'subshell':
    case 'compound_statement': {
      const inner = node.namedChildren.filter((c) => c.type !== 'comment');
      return inner.length === 1 ? guardOf(src, scope, inner[0]!) : null;
    }
    default:
      return null;
  }
}

function compare(
  scope: Scope,
  text: (n: SyntaxNode) => string,
  left: SyntaxNode | null,
  op: string,
  right: SyntaxNode | null,
): Guard | null {
  if (!left || !right) return null;
  // tree-sitter reads `[ ! "$A" = "$B" ]` as `(! "$A") = "$B"`; test(1) means `! ("$A" = "$B")`.
  if (
    left.type === 'unary_expression' &&
    left.child(0) &&
    text(left.child(0)!) === '!' &&
    left.namedChild(0)
  ) {
    return flip(compare(scope, text, left.namedChild(0), op, right));
  }
  const a = fieldRefOf(scope, text, left);
  const b = fieldRefOf(scope, text, right);
  if (!a || !b || !((a === POD && b === HOST) || (a === HOST && b === POD))) return null;
  if (op === '!=') return 'differ';
  if (op === '=' || op === '==') return 'same';
  return null;
}

// Only a bare `$X`, `${X}` or `"$X"` counts: anything added to the string changes the comparison.
function fieldRefOf(scope: Scope, text: (n: SyntaxNode) => string, node: SyntaxNode): string | null {
  let n = node;
  if (n.type === 'string') {
    const inner = n.namedChildren;
    if (inner.length !== 1 || text(n) !== `"${text(inner[0]!)}"`) return null;
    n = inner[0]!;
  }
  if (n.type !== 'simple_expansion' && n.type !== 'expansion') return null;
  const name = n.namedChild(0);
  if (name?.type !== 'variable_name') return null;
  const t = text(n);
  const v = text(name);
  if (t !== `$${v}` && t !== `\${${v}}`) return null;
  const bound = scope.vars.get(v);
  return bound?.kind === 'fieldRef' ? bound.path : null;
}
