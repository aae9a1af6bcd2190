import type { BuiltinHost, Call } from '../../src/shell/builtins/index.js';
import { Scope } from '../../src/shell/scope.js';
import type { Stream } from '../../src/shell/stream.js';
import type { ConfChunk } from '../../src/shell/sysctl-conf.js';
import type { SysctlWrite } from '../../src/shell/types.js';
import { lit, render, textOf, type Value } from '../../src/shell/value.js';

/**
 * A plain implementation of the builtin host for unit tests: it keeps files in a map and
 * records, as rendered text, everything the builtin asks of the walker. The walker's own
 * implementation is covered by the analysis tests.
 */
export class RecordingHost implements BuiltinHost {
  readonly scope = new Scope();
  readonly files = new Map<string, ConfChunk[]>();
  readonly emitted: { key: string; value: string | null; via: SysctlWrite['via']; line: number }[] = [];
  readonly written: { target: string; content: Value; append: boolean; line: number }[] = [];
  readonly mounted = new Map<string, string>();
  readonly unknowns: string[] = [];
  /** Scripts run: `here` in this shell, else in a child shell with the scope it got. */
  readonly scripts: { script: string; line: number; here: boolean; scope?: Scope }[] = [];
  /** Command lines run through `run`, word by word (`*` for unknown parts). */
  readonly commands: string[][] = [];
  exited: 'exit' | 'return' | null = null;

  emit(key: Value, value: Value, via: SysctlWrite['via'], line: number): void {
    this.emitted.push({ key: render(key), value: textOf(value), via, line });
  }

  writeFile(target: Value, content: Stream, append: boolean, line: number): void {
    this.written.push({ target: render(target), content: content.value, append, line });
  }

  readFile(path: string): readonly ConfChunk[] | undefined {
    return this.files.get(path);
  }

  setFile(path: string, chunks: ConfChunk[]): void {
    this.files.set(path, chunks);
  }

  filePaths(): Iterable<string> {
    return this.files.keys();
  }

  mountedScript(path: string): string | undefined {
    return this.mounted.get(path);
  }

  unknown(reason: string): void {
    this.unknowns.push(reason);
  }

  runHere(script: string, line: number): void {
    this.scripts.push({ script, line, here: true });
  }

  runChild(script: string, scope: Scope, line: number): void {
    this.scripts.push({ script, line, here: false, scope });
  }

  /** Prints its own command line, so a test can tell which run's output came back. */
  run(argv: Value[], line: number): Stream | null {
    const words = argv.map(render);
    this.commands.push(words);
    return { value: lit(words.join(' ')), line, perLine: false };
  }

  exit(how: 'exit' | 'return'): void {
    this.exited = how;
  }

  /** Stores `text` as a file of one known piece. */
  file(path: string, text: string, line = 1): this {
    this.files.set(path, [{ content: lit(text), line, perLine: true }]);
    return this;
  }
}

/** A call of `words` at line 7; a null word is unknown (`$X` not set). */
export function callOf(words: (string | Value)[], stdin: string | Stream | null = null): Call {
  const argv = words.map((w) => (typeof w === 'string' ? lit(w) : w));
  const base = textOf(argv[0]!)!;
  const input = typeof stdin === 'string' ? { value: lit(stdin), line: 3, perLine: true } : stdin;
  return { argv, base: base.slice(base.lastIndexOf('/') + 1), args: argv.slice(1), stdin: input, line: 7 };
}
