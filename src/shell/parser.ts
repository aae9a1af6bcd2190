import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import { Language, Parser, type Tree } from 'web-tree-sitter';

/**
 * Loading and running tree-sitter-bash. Loading is async (wasm) and done once per process;
 * parsing is sync and bounded by counted progress checks (deterministic: tree-sitter calls back
 * after a fixed number of parse operations), with a wall-clock deadline only as a safety net.
 */

let languagePromise: Promise<Language> | undefined;

/**
 * V8 flags for the grammar's wasm, set before it is compiled. With V8's default dynamic
 * tiering (Node 24), tree-sitter's parse functions are recompiled again and again, and the
 * machine code is kept outside the JS heap, where --max-old-space-size does not reach: RSS
 * grew by about 15 KB per analysed script without bound (20,000 scripts: 62 → 260-450 MiB;
 * 60,000: 576 MiB). Baseline (Liftoff) code only plateaus (~150 MiB after 60,000) and is
 * faster for scripts this short (20,000 analyses: 0.9-1.7 s against 4-6 s). All three
 * flags are needed when set at run time; `--liftoff-only` alone is not honoured.
 */
export const WASM_FLAGS = '--liftoff-only --no-wasm-tier-up --no-wasm-dynamic-tiering';

/** Loads the grammar once per process; callers may start it early, e.g. while files are read. */
export function loadLanguage(): Promise<Language> {
  languagePromise ??= (async () => {
    setFlagsFromString(WASM_FLAGS);
    await Parser.init();
    // Resolved through node's resolver so it works from src/ (vitest) and from dist/src/.
    const wasm = createRequire(import.meta.url).resolve('tree-sitter-bash/tree-sitter-bash.wasm');
    return Language.load(wasm);
  })();
  return languagePromise;
}

/** `checks`: progress checks spent, charged to the analysis whether or not the parse succeeded. */
export type ParseResult = ({ tree: Tree } | { error: string; timedOut: boolean }) & { checks: number };

/** The part of an analysis budget the parser spends. */
export interface ParseBudget {
  maxParseChecks: number;
  deadline: number;
}

/** A reusable bash parser; reuse matters because creating a parser allocates wasm memory. */
export class BashParser {
  private constructor(private readonly parser: Parser) {}

  static async create(): Promise<BashParser> {
    const language = await loadLanguage();
    const parser = new Parser();
    parser.setLanguage(language);
    return new BashParser(parser);
  }

  /** Parses `source` within `budget`. Caller deletes the tree. */
  parse(source: string, budget: ParseBudget): ParseResult {
    let checks = 0;
    let cancelled: 'steps' | 'time' | undefined;
    let tree: Tree | null;
    try {
      tree = this.parser.parse(source, null, {
        progressCallback: () => {
          if (++checks > budget.maxParseChecks) cancelled = 'steps';
          else if (performance.now() > budget.deadline) cancelled = 'time';
          return cancelled !== undefined;
        },
      });
    } catch (err) {
      this.parser.reset();
      return {
        error: `parser failed: ${err instanceof Error ? err.message : String(err)}`,
        timedOut: false,
        checks,
      };
    }
    if (!tree) {
      // A cancelled parse would otherwise resume on the next, unrelated script.
      this.parser.reset();
      if (cancelled === 'steps') return { error: 'parse stopped at its step limit', timedOut: false, checks };
      if (cancelled === 'time')
        return { error: 'parse hit the wall-clock safety limit', timedOut: true, checks };
      return { error: 'parse failed', timedOut: false, checks };
    }
    return { tree, checks };
  }
}
