import type { Node } from 'web-tree-sitter';
import { type BuiltinHost, builtinFor, type Call } from './builtins/index.js';
import { basename, nsenterCommand, stripWrappers } from './command.js';
import { type ExpandHost, expandFields, expandValue, heredocValue, text } from './expand.js';
import { guardOf } from './guard.js';
import type { BashParser } from './parser.js';
import type { Scope } from './scope.js';
import { type Stream, unknownStream } from './stream.js';
import { type ConfChunk, isSysctlConfPath } from './sysctl-conf.js';
import {
  isProcSysPath,
  isValidSysctlName,
  normalizeSysctlName,
  sysctlNameFromProcPath,
} from './sysctl-name.js';
import { copyTree, type SyntaxNode } from './tree.js';
import type { ScriptAnalysis, ScriptFiles, SysctlWrite } from './types.js';
import {
  chompNewline,
  concat,
  knownPrefix,
  lit,
  reasonOf,
  render,
  textOf,
  unknownValue,
  type Value,
} from './value.js';

/**
 * The walker: runs a parsed script abstractly, statement by statement, tracking variables,
 * files written under /etc/sysctl.d and whether the netns guard is in force, and records every
 * sysctl write it meets. It is bounded by counted steps (parser progress checks, tree nodes
 * copied, statements and words walked), nesting depth and function/shell recursion, so the
 * same script gives the same answer on an idle or a loaded machine. A wall-clock deadline far
 * above the step budget is only a safety net; a result it cut short is never cached.
 *
 * What a command does (`sysctl`, `tee`, `sh -c`, `xargs`, ...) is in `builtins/`, one file per
 * command behind `BuiltinHost`; the walker keeps control flow, redirections, wrappers, the
 * netns guard and the limits: a script a builtin runs goes through the walker's nesting limit
 * and step budget like any other.
 */

/** Thrown to abandon the rest of the analysis; what was found stays, the rest is `unknown`. */
class BudgetError extends Error {}

/** What one analysis may spend. */
export interface Budget {
  /** Walker steps: tree nodes copied, statements run, words expanded. */
  maxSteps: number;
  /** Parser progress checks (tree-sitter calls back every fixed number of parse operations). */
  maxParseChecks: number;
  /** `performance.now()` value past which the analysis gives up whatever the counts say. */
  deadline: number;
}

/** An analysis with whether the wall-clock safety net cut it short (then it must not be cached). */
export interface AnalysisOutcome {
  analysis: ScriptAnalysis;
  timedOut: boolean;
  /** Walker steps and parser progress checks spent (for sizing the budget). */
  steps: number;
  parseChecks: number;
}

/** Walker nesting limit: far above real scripts, far below what would overflow the JS stack. */
const MAX_DEPTH = 200;
const MAX_CALL_DEPTH = 8;
const MAX_SHELL_DEPTH = 4;
const MAX_LOOP_ITEMS = 32;

/** Control state of one straight-line block. */
interface Frame {
  /** Everything from here on only runs in a pod with its own netns. */
  own: boolean;
  exited: false | 'exit' | 'return';
}

interface Io {
  stdin: Stream | null;
  redirects: SyntaxNode[];
}

const NO_IO: Io = { stdin: null, redirects: [] };

/** State shared by a script and the `sh -c` scripts it starts. */
interface Shared {
  parser: BashParser;
  budget: Budget;
  timedOut: boolean;
  /** Parser progress checks spent so far, across every script parsed (nested shells too). */
  parseChecks: number;
  /** Script files whose text is known (ConfigMap mounts), for `sh FILE` and `. FILE`. */
  mounted: ScriptFiles;
  writes: SysctlWrite[];
  /** Files the script wrote that sysctl could load; the filesystem outlives subshells. */
  files: Map<string, ConfChunk[]>;
  steps: number;
  depth: number;
  calls: number;
  shells: number;
  partial?: string;
  /** The innermost `nsenter` network switch around the command running now, if any. */
  enteredNetns?: 'target' | 'file';
}

/** Analyses one script. `positional` is `$0 $1 ...` for `sh -c SCRIPT arg0 arg1`. */
export function analyzeSource(
  parser: BashParser,
  script: string,
  scope: Scope,
  budget: Budget,
  files?: ScriptFiles,
): AnalysisOutcome {
  const shared = newShared(parser, budget, files);
  return guarded(shared, () => runScript(shared, script, scope, { own: false, exited: false }, 0));
}

/** Analyses an exec-form argv that is not a shell: it is one command with literal arguments. */
export function analyzeArgv(
  parser: BashParser,
  argv: string[],
  scope: Scope,
  budget: Budget,
  files?: ScriptFiles,
): AnalysisOutcome {
  const shared = newShared(parser, budget, files);
  return guarded(shared, () =>
    new Walker('', shared, 0).dispatch(argv.map(lit), NO_IO, 1, scope, { own: false, exited: false }),
  );
}

function newShared(parser: BashParser, budget: Budget, mounted: ScriptFiles = {}): Shared {
  // Mounted files are readable like files the script wrote: `sysctl -p`, `cat` and `cp` see them.
  const files = new Map<string, ConfChunk[]>();
  for (const [path, text] of Object.entries(mounted)) {
    files.set(path, [{ content: lit(text), line: 1, perLine: true }]);
  }
  return {
    parser,
    budget,
    timedOut: false,
    parseChecks: 0,
    mounted,
    writes: [],
    files,
    steps: 0,
    depth: 0,
    calls: 0,
    shells: 0,
  };
}

/**
 * Runs the walk; a limit reached part-way keeps every write found before it and reports the
 * rest as unknown (the first limit met names the reason).
 */
function guarded(shared: Shared, walk: () => void): AnalysisOutcome {
  try {
    walk();
  } catch (err) {
    if (!(err instanceof BudgetError)) throw err;
    shared.partial = err.message;
  }
  const analysis: ScriptAnalysis =
    shared.partial === undefined
      ? { writes: shared.writes }
      : { writes: shared.writes, unknown: shared.partial };
  return { analysis, timedOut: shared.timedOut, steps: shared.steps, parseChecks: shared.parseChecks };
}

function runScript(shared: Shared, script: string, scope: Scope, frame: Frame, lineOffset: number): void {
  const parsed = shared.parser.parse(script, {
    maxParseChecks: shared.budget.maxParseChecks - shared.parseChecks,
    deadline: shared.budget.deadline,
  });
  shared.parseChecks += parsed.checks;
  if ('error' in parsed) {
    if (parsed.timedOut) shared.timedOut = true;
    throw new BudgetError(parsed.error);
  }
  const tree = parsed.tree;
  try {
    const walker = new Walker(script, shared, lineOffset);
    walker.scanErrors(tree.rootNode);
    // Copying is not charged to the step budget: its cost is linear in the script's size, which
    // maxBytes and the parse budget already bound, and charging it would spend the budget before
    // the first statement is walked, losing writes that come before a long tail.
    const root = copyTree(tree, script, () => {});
    walker.block(statements(root), scope, frame);
  } finally {
    tree.delete();
  }
}

function statements(node: SyntaxNode): SyntaxNode[] {
  return node.namedChildren.filter((c) => c.type !== 'comment');
}

class Walker implements ExpandHost {
  constructor(
    readonly src: string,
    private readonly shared: Shared,
    private readonly lineOffset: number,
  ) {}

  tick(): void {
    const shared = this.shared;
    if (++shared.steps > shared.budget.maxSteps) {
      throw new BudgetError(`analysis stopped after ${shared.budget.maxSteps} steps`);
    }
    if ((shared.steps & 1023) === 0 && performance.now() > shared.budget.deadline) {
      shared.timedOut = true;
      throw new BudgetError('analysis hit the wall-clock safety limit');
    }
  }

  enter(): void {
    if (++this.shared.depth > MAX_DEPTH)
      throw new BudgetError(`script nests deeper than ${MAX_DEPTH} levels`);
  }

  leave(): void {
    this.shared.depth--;
  }

  runSubstitution(node: SyntaxNode, scope: Scope): void {
    this.block(statements(node), scope.clone(), { own: this.ownHint, exited: false });
  }

  // `$(...)` inherits the guard state of the command it appears in.
  private ownHint = false;

  /**
   * Parse errors are tolerated unless they swallow sysctl-related code, which would otherwise
   * be silently missed. Only subtrees containing errors are visited, on the tree-sitter tree
   * itself: `hasError` (which counts MISSING nodes and hidden children) is not in the copy.
   */
  scanErrors(root: Node): void {
    if (!root.hasError) return;
    const cursor = root.walk();
    try {
      for (;;) {
        this.tick();
        const n = cursor.currentNode;
        if (n.isError && this.mentionsSysctl(n)) {
          this.shared.partial ??= `parse error near sysctl-related code at line ${n.startPosition.row + 1 + this.lineOffset}`;
          return;
        }
        if (n.hasError && cursor.gotoFirstChild()) continue;
        while (!cursor.gotoNextSibling()) {
          if (!cursor.gotoParent()) return;
        }
      }
    } finally {
      cursor.delete();
    }
  }

  private mentionsSysctl(n: Node): boolean {
    return text(this, n).includes('sysctl') || text(this, n).includes('/proc/sys');
  }

  private line(n: SyntaxNode): number {
    return n.startRow + 1 + this.lineOffset;
  }

  block(nodes: SyntaxNode[], scope: Scope, frame: Frame): void {
    for (const n of nodes) {
      if (frame.exited) return;
      this.stmt(n, scope, frame, NO_IO);
    }
  }

  /** Runs one statement; returns its stdout when it is known and not redirected. */
  private stmt(node: SyntaxNode, scope: Scope, frame: Frame, io: Io): Stream | null {
    this.tick();
    this.enter();
    try {
      return this.stmtInner(node, scope, frame, io);
    } finally {
      this.leave();
    }
  }

  private stmtInner(node: SyntaxNode, scope: Scope, frame: Frame, io: Io): Stream | null {
    switch (node.type) {
      case 'command':
        return this.command(node, scope, frame, io);
      case 'redirected_statement':
        return this.redirected(node, scope, frame, io);
      case 'variable_assignment':
        this.assign(node, scope, false);
        return null;
      case 'variable_assignments':
        for (const c of statements(node)) this.assign(c, scope, false);
        return null;
      case 'declaration_command':
        this.declaration(node, scope);
        return null;
      case 'list':
        return this.list(node, scope, frame, io);
      case 'pipeline':
        return this.pipeline(statements(node), scope, frame, io);
      case 'subshell':
        this.block(statements(node), scope.clone(), { own: frame.own, exited: false });
        return null;
      case 'compound_statement':
        this.block(statements(node), scope, frame);
        return null;
      case 'negated_command': {
        const inner = node.namedChild(0);
        return inner ? this.stmt(inner, scope, frame, io) : null;
      }
      case 'if_statement':
        this.ifStatement(node, scope, frame);
        return null;
      case 'while_statement':
      case 'until_statement':
        this.whileLoop(node, scope, frame);
        return null;
      case 'for_statement':
        this.forLoop(node, scope, frame);
        return null;
      case 'c_style_for_statement': {
        const body = node.childForFieldName('body');
        if (body) this.branches([[body]], scope, frame, [frame.own], true);
        return null;
      }
      case 'case_statement':
        this.caseStatement(node, scope, frame);
        return null;
      case 'function_definition': {
        const name = node.childForFieldName('name');
        const body = node.childForFieldName('body');
        if (name && body) scope.functions.set(text(this, name), body);
        return null;
      }
      default:
        // test_command, ERROR, comments and the like do not write anything themselves.
        return null;
    }
  }

  private redirected(node: SyntaxNode, scope: Scope, frame: Frame, io: Io): Stream | null {
    const body = node.childForFieldName('body');
    const redirects = node.childrenForFieldName('redirect');
    const all = [...redirects, ...io.redirects];
    if (!body) return null;
    if (body.type === 'command' || body.type === 'pipeline' || body.type === 'list') {
      return this.stmt(body, scope, frame, { stdin: io.stdin, redirects: all });
    }
    this.stmt(body, scope, frame, { stdin: io.stdin, redirects: [] });
    // `{ ...; } > /proc/sys/x`: the bytes are not tracked, but the write must not vanish.
    const out = this.stdoutTarget(all, scope);
    if (out)
      this.writeFile(
        out.target,
        unknownStream('output of a compound command', this.line(node)),
        out.append,
        this.line(node),
        frame,
        scope,
      );
    return null;
  }

  private list(node: SyntaxNode, scope: Scope, frame: Frame, io: Io): Stream | null {
    const left = node.namedChild(0);
    const right = node.namedChild(1);
    const op = node.child(1) ? text(this, node.child(1)!) : '';
    if (!left || !right) return null;
    // Redirects written after a list belong to its last command.
    this.stmt(left, scope, frame, { stdin: io.stdin, redirects: [] });
    if (frame.exited) return null;
    if (op !== '&&' && op !== '||') {
      return this.stmt(right, scope, frame, { stdin: null, redirects: io.redirects });
    }
    const g = guardOf(this.src, scope, left);
    const runOwn = frame.own || (op === '&&' ? g === 'differ' : g === 'same');
    const skipOwn = frame.own || (op === '&&' ? g === 'same' : g === 'differ');
    const runScope = scope.clone();
    const runFrame: Frame = { own: runOwn, exited: false };
    this.stmt(right, runScope, runFrame, { stdin: null, redirects: io.redirects });
    this.join(scope, frame, [
      { scope: scope.clone(), frame: { own: skipOwn, exited: false } },
      { scope: runScope, frame: runFrame },
    ]);
    return null;
  }

  /** Joins alternative paths: variables they disagree on become unknown; exits cut paths off. */
  private join(scope: Scope, frame: Frame, paths: { scope: Scope; frame: Frame }[]): void {
    const alive = paths.filter((p) => !p.frame.exited);
    if (alive.length === 0) {
      frame.exited = paths.some((p) => p.frame.exited === 'exit') ? 'exit' : 'return';
      return;
    }
    scope.mergeFrom(alive.map((p) => p.scope));
    // e.g. `[ "$POD_IP" = "$HOST_IP" ] && exit 0`: only the own-netns path goes on.
    if (alive.every((p) => p.frame.own)) frame.own = true;
  }

  private pipeline(stages: SyntaxNode[], scope: Scope, frame: Frame, io: Io): Stream | null {
    let stdin = io.stdin;
    stages.forEach((stage, i) => {
      const last = i === stages.length - 1;
      // Every stage runs in its own subshell.
      stdin = this.stmt(
        stage,
        scope.clone(),
        { own: frame.own, exited: false },
        {
          stdin,
          redirects: last ? io.redirects : [],
        },
      );
    });
    return stdin;
  }

  private ifStatement(node: SyntaxNode, scope: Scope, frame: Frame): void {
    const clauses: SyntaxNode[] = [node];
    let elseBody: SyntaxNode[] | null = null;
    for (const c of node.namedChildren) {
      if (c.type === 'elif_clause') clauses.push(c);
      if (c.type === 'else_clause') elseBody = statements(c);
    }
    let fallOwn = frame.own;
    const paths: { scope: Scope; frame: Frame }[] = [];
    for (const clause of clauses) {
      const { conditions, body } = splitAtThen(clause);
      const condFrame: Frame = { own: fallOwn, exited: false };
      this.block(conditions, scope, condFrame);
      const g = guardOf(this.src, scope, conditions[conditions.length - 1] ?? null);
      const bScope = scope.clone();
      const bFrame: Frame = { own: condFrame.own || g === 'differ', exited: false };
      this.block(body, bScope, bFrame);
      paths.push({ scope: bScope, frame: bFrame });
      fallOwn = condFrame.own || g === 'same';
    }
    const eScope = scope.clone();
    const eFrame: Frame = { own: fallOwn, exited: false };
    if (elseBody) this.block(elseBody, eScope, eFrame);
    paths.push({ scope: eScope, frame: eFrame });
    this.join(scope, frame, paths);
  }

  /** Runs each body as an alternative (case items, loop bodies) and joins with "none ran" if `mayskip`. */
  private branches(
    bodies: SyntaxNode[][],
    scope: Scope,
    frame: Frame,
    owns: boolean[],
    mayskip: boolean,
  ): void {
    const paths = bodies.map((b, i) => {
      const s = scope.clone();
      const f: Frame = { own: owns[i] ?? frame.own, exited: false };
      this.block(b, s, f);
      // A loop body's `return`/`exit` is conditional on the loop running; treat as survivable.
      return { scope: s, frame: f };
    });
    if (mayskip) paths.push({ scope: scope.clone(), frame: { own: frame.own, exited: false } });
    this.join(scope, frame, paths);
  }

  private whileLoop(node: SyntaxNode, scope: Scope, frame: Frame): void {
    const conditions = node.childrenForFieldName('condition').filter((c) => c.isNamed);
    const condFrame: Frame = { own: frame.own, exited: false };
    this.block(conditions, scope, condFrame);
    const g = guardOf(this.src, scope, conditions[conditions.length - 1] ?? null);
    const body = node.childForFieldName('body');
    const own = condFrame.own || (node.type === 'while_statement' ? g === 'differ' : g === 'same');
    if (body) this.branches([statements(body)], scope, frame, [own], true);
  }

  private forLoop(node: SyntaxNode, scope: Scope, frame: Frame): void {
    const variable = node.childForFieldName('variable');
    const body = node.childForFieldName('body');
    if (!variable || !body) return;
    const name = text(this, variable);
    const hasIn = node.children.some((c) => c.type === 'in');
    const valueNodes = node.childrenForFieldName('value');
    const items = hasIn ? expandFields(this, scope, valueNodes) : [unknownValue('"$@" (script arguments)')];
    const known = items.length <= MAX_LOOP_ITEMS && items.every((v) => textOf(v) !== null);
    const loopScope = scope.clone();
    const loopFrame: Frame = { own: frame.own, exited: false };
    for (const item of known ? items : [unknownValue(`loop variable $${name}`)]) {
      loopScope.vars.set(name, { kind: 'value', value: item, exported: false });
      this.block(statements(body), loopScope, loopFrame);
      if (loopFrame.exited) break;
    }
    const paths = [{ scope: loopScope, frame: loopFrame }];
    if (!known || items.length === 0)
      paths.push({ scope: scope.clone(), frame: { own: frame.own, exited: false } });
    this.join(scope, frame, paths);
  }

  private caseStatement(node: SyntaxNode, scope: Scope, frame: Frame): void {
    const value = node.childForFieldName('value');
    if (value) expandValue(this, scope, value);
    const items = node.namedChildren.filter((c) => c.type === 'case_item');
    const bodies = items.map(caseBody);
    const hasDefault = items.some((item) =>
      item.childrenForFieldName('value').some((v) => text(this, v) === '*'),
    );
    this.branches(
      bodies,
      scope,
      frame,
      bodies.map(() => frame.own),
      !hasDefault,
    );
  }

  private assign(node: SyntaxNode, scope: Scope, exported: boolean): void {
    if (node.type !== 'variable_assignment') return;
    const nameNode = node.childForFieldName('name');
    if (nameNode?.type !== 'variable_name') return;
    const name = text(this, nameNode);
    const valueNode = node.childForFieldName('value');
    let value: Value = valueNode ? expandValue(this, scope, valueNode) : lit('');
    if (valueNode?.type === 'array') value = unknownValue(`$${name} is an array`);
    if (node.children.some((c) => c.type === '+=')) value = concat(scope.lookup(name), value);
    const prev = scope.vars.get(name);
    const wasExported = prev !== undefined && (prev.kind === 'fieldRef' || prev.exported);
    scope.vars.set(name, { kind: 'value', value, exported: exported || wasExported });
  }

  private declaration(node: SyntaxNode, scope: Scope): void {
    const keyword = node.child(0) ? text(this, node.child(0)!) : '';
    const flags = node.namedChildren.filter((c) => c.type === 'word').map((c) => text(this, c));
    const exported = keyword === 'export' || flags.some((f) => f.startsWith('-') && f.includes('x'));
    for (const c of node.namedChildren) {
      if (c.type === 'variable_assignment') this.assign(c, scope, exported);
      else if (c.type === 'variable_name' && exported) {
        const name = text(this, c);
        const v = scope.vars.get(name);
        if (v?.kind === 'value') v.exported = true;
        else if (!v)
          scope.vars.set(name, { kind: 'value', value: unknownValue(`$${name} is not set`), exported: true });
      }
    }
  }

  private command(node: SyntaxNode, scope: Scope, frame: Frame, io: Io): Stream | null {
    const line = this.line(node);
    const nameNode = node.childForFieldName('name');
    const prefix = node.namedChildren.filter((c) => c.type === 'variable_assignment');
    const own = node.childrenForFieldName('redirect');
    const redirects = [...own, ...io.redirects];
    if (!nameNode) {
      for (const a of prefix) this.assign(a, scope, false);
      return null;
    }
    // `A=1 cmd` sets A for cmd only (and exports it to cmd).
    const cmdScope = prefix.length > 0 ? scope.clone() : scope;
    for (const a of prefix) this.assign(a, cmdScope, true);
    this.ownHint = frame.own;
    const args = node.childrenForFieldName('argument');
    const argv = expandFields(this, cmdScope, [nameNode, ...args]);
    let stdin = io.stdin;
    const continuations: SyntaxNode[] = [];
    for (const r of redirects) {
      if (r.type === 'heredoc_redirect') {
        const body = r.namedChildren.find((c) => c.type === 'heredoc_body');
        stdin = {
          value: heredocValue(this, cmdScope, r),
          line: body ? this.line(body) : line,
          perLine: true,
        };
        continuations.push(r);
      } else if (r.type === 'herestring_redirect') {
        const word = r.namedChild(0);
        stdin = {
          value: concat(word ? expandValue(this, cmdScope, word) : [], lit('\n')),
          line,
          perLine: false,
        };
      }
    }
    const flat = redirects.flatMap((r) =>
      r.type === 'heredoc_redirect' ? r.childrenForFieldName('redirect') : [r],
    );
    if (argv.length === 1 && textOf(argv[0]!) === 'exec') {
      this.openFds(flat, scope);
      return null;
    }
    const out = this.dispatch(argv, { stdin, redirects: flat }, line, cmdScope, frame);
    for (const r of continuations) this.heredocContinuation(r, out, scope, frame);
    return out;
  }

  /** tree-sitter-bash hangs `| cmd` and `&& cmd` written after `<<EOF` onto the heredoc node. */
  private heredocContinuation(r: SyntaxNode, out: Stream | null, scope: Scope, frame: Frame): void {
    const pipe = r.namedChildren.find((c) => c.type === 'pipeline');
    if (pipe) {
      // `| a && b`: the pipe feeds `a`, the list's leftmost command.
      this.stmt(pipe.namedChild(0) ?? pipe, scope, frame, { stdin: out, redirects: [] });
      return;
    }
    const right = r.childForFieldName('right');
    const op = r.childForFieldName('operator');
    if (right && op) {
      const runScope = scope.clone();
      const runFrame: Frame = { own: frame.own, exited: false };
      this.stmt(right, runScope, runFrame, NO_IO);
      this.join(scope, frame, [
        { scope: scope.clone(), frame: { own: frame.own, exited: false } },
        { scope: runScope, frame: runFrame },
      ]);
    }
  }

  private stdoutTarget(redirects: SyntaxNode[], scope: Scope): { target: Value; append: boolean } | null {
    let found: { target: Value; append: boolean } | null = null;
    for (const r of redirects) {
      if (r.type !== 'file_redirect') continue;
      const fd = r.childForFieldName('descriptor');
      if (fd && text(this, fd) !== '1') continue;
      const op = r.children.find((c) => !c.isNamed);
      const opText = op ? text(this, op) : '';
      const dest = r.childForFieldName('destination');
      if (!dest) continue;
      if (opText === '>&') {
        // `>&3` writes to whatever `exec 3>FILE` opened.
        const opened = scope.fds.get(text(this, dest));
        if (opened) found = opened;
        continue;
      }
      if (!['>', '>>', '>|', '&>', '&>>'].includes(opText)) continue;
      found = { target: expandValue(this, scope, dest), append: opText.endsWith('>>') };
    }
    // `exec >FILE` sends the output of every later command to FILE.
    return found ?? scope.fds.get('1') ?? null;
  }

  /** `exec 3>FILE` (no command) opens FILE for the rest of the script. */
  private openFds(redirects: SyntaxNode[], scope: Scope): void {
    for (const r of redirects) {
      if (r.type !== 'file_redirect') continue;
      const fd = r.childForFieldName('descriptor');
      const op = r.children.find((c) => !c.isNamed);
      const opText = op ? text(this, op) : '';
      const dest = r.childForFieldName('destination');
      if (!dest || !['>', '>>', '>|', '<>'].includes(opText)) continue;
      const target = this.absolute(expandValue(this, scope, dest), scope);
      scope.fds.set(fd ? text(this, fd) : '1', { target, append: opText === '>>' });
    }
  }

  /** Runs one command given as fields (exec form or after expansion); returns its stdout. */
  dispatch(argv0: Value[], io: Io, line: number, scope: Scope, frame: Frame): Stream | null {
    const argv = stripWrappers(argv0, textOf);
    const ns = nsenterCommand(argv, textOf);
    if (ns) {
      // Another process's namespaces: the guard of this script says nothing about them.
      const inner: Frame = { own: ns.net ? false : frame.own, exited: false };
      const outer = this.shared.enteredNetns;
      if (ns.netFrom) this.shared.enteredNetns = ns.netFrom;
      try {
        return this.dispatch(ns.argv, io, line, scope, inner);
      } finally {
        if (outer === undefined) delete this.shared.enteredNetns;
        else this.shared.enteredNetns = outer;
      }
    }
    const first = argv[0];
    if (!first) return null;
    const name = textOf(first);
    const base = name === null ? null : basename(name);
    const args = argv.slice(1);
    let out: Stream | null = null;
    const call: Call | null = base === null ? null : { argv, base, args, stdin: io.stdin, line };
    const builtin = call && builtinFor(call);
    if (call && builtin) {
      out = builtin.run(call, this.hostFor(scope, frame));
    } else if (name !== null && scope.functions.has(name)) {
      this.call(scope.functions.get(name)!, argv, scope, frame);
    }
    const target = this.stdoutTarget(io.redirects, scope);
    if (target) {
      this.writeFile(
        target.target,
        out ?? unknownStream(`output of ${base ?? 'a command'}`, line),
        target.append,
        line,
        frame,
        scope,
      );
      return null;
    }
    return out;
  }

  /** Parses and walks `script` (a nested shell's, eval's, a trap's) within the nesting limit. */
  private runNested(script: string, scope: Scope, frame: Frame, line: number): void {
    if (this.shared.shells >= MAX_SHELL_DEPTH) {
      // A limit is unknown, never clean: what the deeper script runs was not looked at.
      this.shared.partial ??= `shells nested more than ${MAX_SHELL_DEPTH} levels deep at line ${line}`;
      return;
    }
    this.shared.shells++;
    try {
      runScript(this.shared, script, scope, frame, line - 1);
    } finally {
      this.shared.shells--;
    }
  }

  private call(body: SyntaxNode, argv: Value[], scope: Scope, frame: Frame): void {
    if (this.shared.calls >= MAX_CALL_DEPTH) {
      this.shared.partial ??= `functions call each other more than ${MAX_CALL_DEPTH} levels deep`;
      return;
    }
    this.shared.calls++;
    const saved = scope.positional;
    scope.positional = argv;
    const f: Frame = { own: frame.own, exited: false };
    try {
      this.stmt(body, scope, f, NO_IO);
    } finally {
      scope.positional = saved;
      this.shared.calls--;
    }
    if (f.exited === 'exit') frame.exited = 'exit';
  }

  /** The walker as one builtin sees it: bound to the scope and guard its command runs under. */
  private hostFor(scope: Scope, frame: Frame): BuiltinHost {
    return {
      scope,
      emit: (key, value, via, line) => this.emit(key, value, via, frame.own, line),
      writeFile: (target, content, append, line) =>
        this.writeFile(target, content, append, line, frame, scope),
      readFile: (path) => this.shared.files.get(path),
      setFile: (path, chunks) => this.shared.files.set(path, chunks),
      filePaths: () => this.shared.files.keys(),
      // Own keys only: a path such as `constructor` must not find Object.prototype's members.
      mountedScript: (path) =>
        Object.hasOwn(this.shared.mounted, path) ? this.shared.mounted[path] : undefined,
      unknown: (reason) => {
        this.shared.partial ??= reason;
      },
      runHere: (script, line) => this.runNested(script, scope, frame, line),
      runChild: (script, child, line) =>
        this.runNested(script, child, { own: frame.own, exited: false }, line),
      run: (argv, line) => this.dispatch(argv, NO_IO, line, scope, frame),
      exit: (how) => {
        frame.exited = how;
      },
    };
  }

  private writeFile(
    target0: Value,
    content: Stream,
    append: boolean,
    line: number,
    frame: Frame,
    scope: Scope,
  ): void {
    const target = this.absolute(target0, scope);
    const path = textOf(target);
    if (path === null) {
      if (isProcSysPath(knownPrefix(target))) {
        const key = sysctlNameFromProcPath(render(target)) ?? '*';
        this.emit(
          lit(key),
          unknownValue(`path not resolvable: ${reasonOf(target)}`),
          'proc',
          frame.own,
          line,
        );
      }
      return;
    }
    if (isProcSysPath(path)) {
      const key = sysctlNameFromProcPath(path);
      if (key !== null) this.emit(lit(key), chompNewline(content.value), 'proc', frame.own, line);
      return;
    }
    if (isSysctlConfPath(path)) {
      const chunks = append ? (this.shared.files.get(path) ?? []) : [];
      this.shared.files.set(path, [
        ...chunks,
        { content: content.value, line: content.line, perLine: content.perLine },
      ]);
    }
  }

  /** A relative path after `cd` names a file in that directory; before any `cd`, it is left as is. */
  private absolute(path: Value, scope: Scope): Value {
    if (knownPrefix(path).startsWith('/') || path.length === 0 || !('text' in path[0]!)) return path;
    if (!scope.vars.has('PWD')) return path;
    const pwd = scope.lookup('PWD');
    // After `cd "$DIR"`, `> ip_local_port_range` may be a sysctl file: unknown, never clean.
    if (textOf(pwd) === null) {
      this.shared.partial ??= `writes ${render(path)} relative to a directory portguard cannot resolve (${reasonOf(pwd) ?? 'cd'})`;
    }
    return concat(pwd, lit('/'), path);
  }

  private emit(key: Value, value: Value, via: SysctlWrite['via'], own: boolean, line: number): void {
    const keyText = textOf(key);
    const name = normalizeSysctlName(keyText ?? render(key));
    if (!isValidSysctlName(name)) return;
    const v = keyText === null ? null : textOf(value);
    const write: SysctlWrite = { key: name, value: v, via, onlyInOwnNetns: own, line };
    if (this.shared.enteredNetns) write.enteredNetns = this.shared.enteredNetns;
    if (v === null) {
      write.reason =
        keyText === null ? `key not resolvable: ${reasonOf(key)}` : (reasonOf(value) ?? 'unresolvable');
    }
    this.shared.writes.push(write);
  }
}

/** Splits an if/elif clause into its condition list and its `then` body. */
function splitAtThen(clause: SyntaxNode): { conditions: SyntaxNode[]; body: SyntaxNode[] } {
  const conditions: SyntaxNode[] = [];
  const body: SyntaxNode[] = [];
  let inBody = false;
  for (const c of clause.children) {
    if (!c.isNamed) {
      if (c.type === 'then') inBody = true;
      continue;
    }
    if (c.type === 'comment' || c.type === 'elif_clause' || c.type === 'else_clause') continue;
    (inBody ? body : conditions).push(c);
  }
  return { conditions, body };
}

function caseBody(item: SyntaxNode): SyntaxNode[] {
  return item.children.filter((c) => c.isNamed && c.type !== 'comment' && c.field !== 'value');
}
