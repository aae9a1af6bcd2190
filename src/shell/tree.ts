import type { Language, Node, Tree, TreeCursor } from 'web-tree-sitter';

/**
 * A plain-JS copy of a tree-sitter tree. Every property read on a web-tree-sitter `Node`
 * crosses into wasm and most allocate a new `Node`; the walker reads each node several times,
 * so the tree is copied once with a `TreeCursor` (a handful of wasm calls per node) and walked
 * as plain objects. The methods mirror the `Node` ones the analysis uses.
 *
 * Indices are UTF-16 code units, as web-tree-sitter reports them for JS source strings, so
 * `source.slice(startIndex, endIndex)` is the node's text.
 */

/**
 * Subtrees deeper than this are copied when first read (see also isRarelyRead). Real scripts
 * are far shallower; the walker stops at its own nesting limit, and would otherwise pay for
 * copying all of a hostile 10,000-level tree before noticing.
 */
const EAGER_DEPTH = 64;

const NO_CHILDREN: readonly SyntaxNode[] = Object.freeze([]);

/**
 * Named tree-sitter-bash tokens: they have no children, and the walker only reads their text.
 * Not trying to descend into them (nor into anonymous nodes, which are tokens too) saves a wasm
 * call per leaf, a good part of the copy.
 */
const TOKENS = new Set([
  'ansi_c_string',
  'comment',
  'extglob_pattern',
  'file_descriptor',
  'heredoc_content',
  'heredoc_end',
  'heredoc_start',
  'raw_string',
  'regex',
  'special_variable_name',
  'string_content',
  'test_operator',
  'variable_name',
  'word',
]);

/** Per-tree state: the source (for line numbers) and a hook to charge copying to the budget. */
class CopyContext {
  private newlines: number[] | undefined;

  constructor(
    readonly source: string,
    readonly names: LanguageNames,
    readonly tick: () => void,
  ) {}

  /** 0-based row of an index; tree-sitter counts rows at '\n' only. */
  rowOf(index: number): number {
    this.newlines ??= newlinePositions(this.source);
    const nl = this.newlines;
    let lo = 0;
    let hi = nl.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (nl[mid]! < index) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

export class SyntaxNode {
  /** Set where the copy stopped (EAGER_DEPTH, isRarelyRead): children are copied on first read. */
  private pending: Node | null = null;
  private kids: SyntaxNode[] = NO_CHILDREN as SyntaxNode[];
  private named: SyntaxNode[] | undefined;

  constructor(
    private readonly ctx: CopyContext,
    readonly type: string,
    readonly isNamed: boolean,
    /** Field name under the parent, as `TreeCursor#currentFieldName` reports it. */
    readonly field: string | null,
    readonly startIndex: number,
    readonly endIndex: number,
  ) {}

  get children(): SyntaxNode[] {
    if (this.pending) this.expand(this.pending);
    return this.kids;
  }

  get namedChildren(): SyntaxNode[] {
    this.named ??= this.children.filter((c) => c.isNamed);
    return this.named;
  }

  get childCount(): number {
    return this.children.length;
  }

  /** 0-based row of the first character, like `Node#startPosition.row`. */
  get startRow(): number {
    return this.ctx.rowOf(this.startIndex);
  }

  child(i: number): SyntaxNode | null {
    return this.children[i] ?? null;
  }

  namedChild(i: number): SyntaxNode | null {
    return this.namedChildren[i] ?? null;
  }

  childForFieldName(name: string): SyntaxNode | null {
    // As `Node#childForFieldName`, which reads the fields of the node's own production: an
    // ERROR node has none, though its children can carry fields from hidden wrappers.
    if (this.type === 'ERROR') return null;
    for (const c of this.children) if (c.field === name) return c;
    return null;
  }

  childrenForFieldName(name: string): SyntaxNode[] {
    return this.children.filter((c) => c.field === name);
  }

  fieldNameForChild(i: number): string | null {
    return this.children[i]?.field ?? null;
  }

  /** @internal Appends a child during the copy. */
  add(child: SyntaxNode): void {
    if (this.kids === NO_CHILDREN) this.kids = [];
    this.kids.push(child);
  }

  /** @internal Marks where the eager copy stopped. */
  defer(node: Node): void {
    this.pending = node;
  }

  private expand(node: Node): void {
    this.pending = null;
    const cursor = node.walk();
    try {
      copyChildren(cursor, this, this.ctx);
    } finally {
      cursor.delete();
    }
  }
}

/**
 * Copies `tree` for `source`. `tick` is called once per copied node and may throw to abandon
 * the copy (the analysis budget); the tree itself stays owned by the caller, and must outlive
 * the copy because deep subtrees are copied on first read.
 */
export function copyTree(tree: Tree, source: string, tick: () => void): SyntaxNode {
  const ctx = new CopyContext(source, namesOf(tree.language), tick);
  const cursor = tree.walk();
  try {
    const root = createNode(cursor, ctx, null);
    copyChildren(cursor, root, ctx);
    return root;
  } finally {
    cursor.delete();
  }
}

/** Copies the descendants of the cursor's node into `root`, leaving the cursor where it began. */
function copyChildren(cursor: TreeCursor, root: SyntaxNode, ctx: CopyContext): void {
  const parents: SyntaxNode[] = [];
  let current = root;
  for (;;) {
    if (current.isNamed && !TOKENS.has(current.type)) {
      const parent = parents[parents.length - 1];
      if (parents.length >= EAGER_DEPTH || (parent && isRarelyRead(current, parent))) {
        current.defer(cursor.currentNode);
      } else if (cursor.gotoFirstChild()) {
        parents.push(current);
        current = createNode(cursor, ctx, ctx.names.fields[cursor.currentFieldId] ?? null);
        parents[parents.length - 1]!.add(current);
        continue;
      }
    }
    for (;;) {
      const parent = parents[parents.length - 1];
      if (!parent) return;
      if (cursor.gotoNextSibling()) {
        current = createNode(cursor, ctx, ctx.names.fields[cursor.currentFieldId] ?? null);
        parent.add(current);
        break;
      }
      cursor.gotoParent();
      parents.pop();
    }
  }
}

/**
 * Subtrees copied only when read: a script may define many functions and call few, and the
 * walker only looks inside an ERROR node that is the root (parse errors are judged on the
 * tree-sitter tree).
 */
function isRarelyRead(node: SyntaxNode, parent: SyntaxNode): boolean {
  return node.type === 'ERROR' || (node.field === 'body' && parent.type === 'function_definition');
}

function createNode(cursor: TreeCursor, ctx: CopyContext, field: string | null): SyntaxNode {
  ctx.tick();
  const id = cursor.nodeTypeId;
  return new SyntaxNode(
    ctx,
    ctx.names.typeName(id),
    ctx.names.isNamed(id),
    field,
    cursor.startIndex,
    cursor.endIndex,
  );
}

/** Type names, namedness and field names of a language, read from wasm once per type. */
class LanguageNames {
  private readonly named = new Map<number, boolean>();
  readonly fields: readonly (string | null)[];

  constructor(private readonly language: Language) {
    this.fields = language.fields;
  }

  typeName(id: number): string {
    // As `Node#type`: ids past the symbol table (the ERROR symbol, 0xFFFF) are errors.
    return this.language.types[id] || 'ERROR';
  }

  isNamed(id: number): boolean {
    let n = this.named.get(id);
    if (n === undefined) {
      n = this.language.nodeTypeIsNamed(id);
      this.named.set(id, n);
    }
    return n;
  }
}

const languageNames = new WeakMap<Language, LanguageNames>();

function namesOf(language: Language): LanguageNames {
  let names = languageNames.get(language);
  if (!names) {
    names = new LanguageNames(language);
    languageNames.set(language, names);
  }
  return names;
}

function newlinePositions(source: string): number[] {
  const out: number[] = [];
  for (let at = source.indexOf('\n'); at !== -1; at = source.indexOf('\n', at + 1)) out.push(at);
  return out;
}
