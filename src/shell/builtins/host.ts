import type { Scope } from '../scope.js';
import type { Stream } from '../stream.js';
import type { ConfChunk } from '../sysctl-conf.js';
import type { SysctlWrite } from '../types.js';
import type { Value } from '../value.js';

/**
 * What a builtin sees of the walker. Builtins model what one command does (`sysctl`, `tee`,
 * `sh -c`, ...); control flow, the netns guard and the step budget stay with the walker, which
 * binds one host to the scope and guard the command runs under.
 */

/** One command as a builtin receives it: its fields after expansion, wrappers stripped. */
export interface Call {
  argv: Value[];
  /** Basename of argv[0]: `/sbin/sysctl` behaves as `sysctl`. */
  base: string;
  args: Value[];
  /** What the command reads on stdin when known (pipe, heredoc, here-string); null otherwise. */
  stdin: Stream | null;
  /** 1-based script line, for findings and unknown reasons. */
  line: number;
}

export interface BuiltinHost {
  /** Variables the command sees (`A=1 cmd` gives it a copy of its own). */
  readonly scope: Scope;
  /** Records a sysctl write, under the netns guard the command runs with. */
  emit(key: Value, value: Value, via: SysctlWrite['via'], line: number): void;
  /** Writes to a file: under /proc/sys it is a sysctl write, under /etc/sysctl.d a file sysctl may load later. */
  writeFile(target: Value, content: Stream, append: boolean, line: number): void;
  /** Known content of a file (written by the script or mounted), by absolute path. */
  readFile(path: string): readonly ConfChunk[] | undefined;
  /** Replaces a file's content (`cp`). */
  setFile(path: string, chunks: ConfChunk[]): void;
  /** Every file whose content is known, in the order they became known (mounted files first). */
  filePaths(): Iterable<string>;
  /** Text of a script file the pod mounts (ConfigMap), for `sh FILE` and `. FILE`. */
  mountedScript(path: string): string | undefined;
  /** Marks the analysis unknown (the walk goes on collecting writes); the first reason given stands. */
  unknown(reason: string): void;
  /** Runs script text in this very shell (`eval`, `.`, traps): its assignments and `exit` count here. */
  runHere(script: string, line: number): void;
  /** Runs script text in a child shell with `scope`; its `exit` ends only the child. */
  runChild(script: string, scope: Scope, line: number): void;
  /** Runs another command line, without stdin or redirections (`xargs CMD`); returns its stdout. */
  run(argv: Value[], line: number): Stream | null;
  /** Ends the block the command runs in: `exit` the shell, `return` the function or sourced file. */
  exit(how: 'exit' | 'return'): void;
}

/** A command's behaviour; returns its stdout when known (null when it prints nothing known). */
export type Handler = (call: Call, host: BuiltinHost) => Stream | null;

export interface Builtin {
  run: Handler;
  /**
   * When present and false, the command is not this builtin's case and runs as if no builtin
   * had its name (a shell function of that name may then run).
   */
  applies?: (call: Call) => boolean;
}
