import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Node, Tree } from 'web-tree-sitter';
import { BashParser } from '../../src/shell/parser.js';
import { copyTree, type SyntaxNode } from '../../src/shell/tree.js';

/**
 * The plain tree must say exactly what web-tree-sitter's Node API says about every node the
 * walker can read, so the Node API serves as the oracle here.
 */

let parser: BashParser;
beforeAll(async () => {
  parser = await BashParser.create();
});

function parse(source: string): Tree {
  const r = parser.parse(source, {
    maxParseChecks: Number.POSITIVE_INFINITY,
    deadline: Number.POSITIVE_INFINITY,
  });
  if ('error' in r) throw new Error(r.error);
  return r.tree;
}

/** Runs `f` on the copy of `source`'s tree, deleting the tree afterwards. */
function withCopy<T>(source: string, f: (copy: SyntaxNode, tree: Tree) => T): T {
  const tree = parse(source);
  try {
    return f(
      copyTree(tree, source, () => {}),
      tree,
    );
  } finally {
    tree.delete();
  }
}

const FIELDS = [
  'argument',
  'body',
  'condition',
  'descriptor',
  'destination',
  'left',
  'name',
  'operator',
  'redirect',
  'right',
  'value',
  'variable',
];

const span = (n: { type: string; startIndex: number; endIndex: number } | null) =>
  n && `${n.type}@${n.startIndex}-${n.endIndex}`;

/** Compares the copy with the Node API, node by node; returns the number of nodes compared. */
function compare(copy: SyntaxNode, node: Node): number {
  expect(copy.type).toBe(node.type);
  expect(copy.isNamed).toBe(node.isNamed);
  expect(copy.startIndex).toBe(node.startIndex);
  expect(copy.endIndex).toBe(node.endIndex);
  expect(copy.startRow).toBe(node.startPosition.row);
  const kids = node.children.filter((c): c is Node => c !== null);
  // Also shows that the nodes the copy does not descend into (tokens) have no children.
  expect(copy.childCount, `children of ${node.type}`).toBe(kids.length);
  expect(copy.namedChildren.map(span)).toEqual(
    node.namedChildren.filter((c): c is Node => c !== null).map(span),
  );
  for (const f of FIELDS) {
    expect(span(copy.childForFieldName(f)), `${node.type}.${f}`).toBe(span(node.childForFieldName(f)));
    expect(copy.childrenForFieldName(f).map(span)).toEqual(
      node
        .childrenForFieldName(f)
        .filter((c): c is Node => c !== null)
        .map(span),
    );
  }
  let n = 1;
  kids.forEach((k, i) => {
    expect(copy.fieldNameForChild(i)).toBe(node.fieldNameForChild(i));
    n += compare(copy.children[i]!, k);
  });
  return n;
}

function agrees(source: string): number {
  return withCopy(source, (copy, tree) => compare(copy, tree.rootNode));
}

const SCRIPTS: [string, string][] = [
  ['a command with every field', 'X=1 Y=$Z sysctl -w "a.b=$X" 2>/dev/null >>/tmp/f'],
  [
    'if/elif/else',
    'if [ "$POD_IP" != "$HOST_IP" ]; then\n  sysctl -w a.b=1\nelif true; then :\nelse echo no; fi',
  ],
  ['case with several patterns', 'case "$1" in\n  a|b) echo ab ;;\n  *) sysctl -w c.d=2 ;;\nesac'],
  [
    'loops',
    'for k in a b c; do echo $k; done\nwhile read -r l; do :; done < f\nfor ((i=0;i<3;i++)); do :; done',
  ],
  ['heredocs', "cat <<EOF > /etc/sysctl.d/9.conf\nk = $V\nEOF\ncat <<-'END' | sysctl -p -\n\ta.b = 1\n\tEND"],
  ['heredoc followed by a pipe and a list', 'cat <<EOF | tee /proc/sys/a/b && echo ok\n1\nEOF'],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template.
  ['expansions', "echo ${A:-x} ${B:=y} ${#C} ${D%%.*} $(cmd) `old` $((1+2)) <(p) $'\\t'"],
  ['functions and subshells', 'f() { local x=$1; ( sysctl -w a.b=$x ); }\n{ f 1; } > /proc/sys/c/d'],
  ['declarations', 'export A=1 B\ndeclare -x C=2\nreadonly D\nE+=3\nF=(1 2)'],
  ['comments everywhere', '# top\necho a # trailing\nif true; then # here\n  :\nfi'],
  ['CRLF and lone CR line ends', 'echo a\r\nsysctl -w a.b=1\r\necho \rb\nsysctl -w c.d=2'],
  ['parse errors', 'sysctl -w a.b=1\nif then fi ) sysctl -w c.d=2 (('],
  ['unterminated heredoc', 'cat <<EOF > /etc/sysctl.conf\na.b = 1\n'],
  ['unterminated string', 'sysctl -w "a.b=1'],
  [
    'multi-byte UTF-8 and astral characters',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template.
    'echo "héllo 日本 😀" wörd\nsysctl -w ñ.😀="ü $X" # コメント\nX=é; echo ${X}',
  ],
  ['a lone surrogate', 'echo \uD800 a\uDC00b "\uD83D"\nsysctl -w a.b=1'],
  ['empty script', ''],
];

describe('copyTree', () => {
  it.each(SCRIPTS)('agrees with the Node API: %s', (_name, source) => {
    expect(agrees(source)).toBeGreaterThan(0);
  });

  it('agrees with the Node API on generated scripts', () => {
    const piece = fc.constantFrom(
      'sysctl -w a.b=1',
      'echo "$X é" > /proc/sys/a/b',
      'if [ "$A" = "$B" ]; then',
      'fi',
      'else',
      'then',
      'do',
      'done',
      'for x in 1 2; do',
      'case $x in a) :',
      ';;',
      'esac',
      '<<EOF',
      'EOF',
      '| tee f',
      '&&',
      '||',
      '(',
      ')',
      '{',
      '}',
      '$(',
      '"',
      "'",
      '`',
      '${X:-',
      '日本😀',
      '#',
      '\\',
    );
    const line = fc.array(
      fc.oneof(piece, fc.string({ maxLength: 6 }), fc.string({ unit: 'binary', maxLength: 4 })),
      { maxLength: 8 },
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 8 }), (lines) => {
        agrees(lines.map((l) => l.join(' ')).join('\n'));
      }),
      { numRuns: 200 },
    );
  });

  it('copies subtrees below the eager depth when they are first read', () => {
    const deep = `${'('.repeat(150)}sysctl -w a.b=1${')'.repeat(150)}`;
    expect(agrees(deep)).toBeGreaterThan(300);
    const ifs = `${'if true; then\n'.repeat(100)}sysctl -w a.b=1\n${'fi\n'.repeat(100)}`;
    expect(agrees(ifs)).toBeGreaterThan(500);
  });

  it.each<[string, string, string[]]>([
    ['ASCII', 'echo abc "d e" f', ['echo', 'abc', '"d e"', 'f']],
    ['two-byte UTF-8', 'echo é "ñ ü" ß', ['echo', 'é', '"ñ ü"', 'ß']],
    ['three-byte UTF-8', 'echo 日本 "語 x"', ['echo', '日本', '"語 x"']],
    ['four-byte UTF-8 (surrogate pairs in JS)', 'echo 😀 "a😀b" 𝄞', ['echo', '😀', '"a😀b"', '𝄞']],
    ['mixed, after a multi-byte line', '# ünïcödé 😀\necho x😀y é', ['echo', 'x😀y', 'é']],
  ])('indices slice the JS source string (%s)', (_name, source, words) => {
    withCopy(source, (root) => {
      const cmd = root.namedChildren.find((c) => c.type === 'command');
      expect(cmd).toBeDefined();
      const parts = [cmd!.childForFieldName('name')!, ...cmd!.childrenForFieldName('argument')];
      expect(parts.map((p) => source.slice(p.startIndex, p.endIndex))).toEqual(words);
    });
  });

  it('copies function bodies and ERROR subtrees when they are first read', () => {
    const source = 'f() {\n  sysctl -w a.b=1\n  echo done\n}\necho ) sysctl -w c.d=2 (';
    const tree = parse(source);
    try {
      let ticks = 0;
      const root = copyTree(tree, source, () => ticks++);
      const eager = ticks;
      const body = root.namedChildren[0]!.childForFieldName('body')!;
      const error = root.namedChildren.find((c) => c.type === 'ERROR')!;
      expect([body.type, error.type]).toEqual(['compound_statement', 'ERROR']);
      expect(ticks).toBe(eager);
      expect(body.namedChildren.map((c) => c.type)).toEqual(['command', 'command']);
      const afterBody = ticks;
      expect(afterBody).toBeGreaterThan(eager);
      expect(error.childCount).toBeGreaterThan(0);
      expect(ticks).toBeGreaterThan(afterBody);
      expect(compare(root, tree.rootNode)).toBe(ticks);
    } finally {
      tree.delete();
    }
  });

  it('keeps ERROR nodes, their children and their fields', () => {
    withCopy('echo ok\nif then fi ) sysctl -w c.d=2', (root) => {
      const errors: SyntaxNode[] = [];
      const visit = (n: SyntaxNode) => {
        if (n.type === 'ERROR') errors.push(n);
        n.children.forEach(visit);
      };
      visit(root);
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.every((e) => e.isNamed)).toBe(true);
    });
  });

  it('charges every copied node to the budget and stops when the budget throws', () => {
    const source = 'sysctl -w a.b=1\n'.repeat(50);
    const tree = parse(source);
    try {
      let ticks = 0;
      const root = copyTree(tree, source, () => ticks++);
      let nodes = 0;
      const visit = (n: SyntaxNode) => {
        nodes++;
        n.children.forEach(visit);
      };
      visit(root);
      expect(ticks).toBe(nodes);
      let left = 40;
      expect(() =>
        copyTree(tree, source, () => {
          if (--left < 0) throw new Error('over budget');
        }),
      ).toThrow('over budget');
      // The tree is still usable: the abandoned cursor was released, not left half-way.
      expect(agrees(source)).toBe(nodes);
    } finally {
      tree.delete();
    }
  });
});
