import { createRequire } from 'node:module';
import { Language, Parser, type Tree } from 'web-tree-sitter';

/**
 * Loading and running tree-sitter-bash. Loading is async (wasm) and done once per process;
 * parsing is sync and bounded by a deadline so a hostile script cannot stall admission.
 */

let languagePromise: Promise<Language> | undefined;

/** Loads the grammar once per process; callers may start it early, e.g. while files are read. */
export function loadLanguage(): Promise<Language> {
  languagePromise ??= (async () => {
    await Parser.init();
    // Resolved through node's resolver so it works from src/ (vitest) and from dist/src/.
    const wasm = createRequire(import.meta.url).resolve('tree-sitter-bash/tree-sitter-bash.wasm');
    return Language.load(wasm);
  })();
  return languagePromise;
}

export type ParseResult = { tree: Tree } | { error: string };

/** A reusable bash parser; reuse matters because creating a parser allocates wasm memory. */
export class BashParser {
  private constructor(private readonly parser: Parser) {}

  static async create(): Promise<BashParser> {
    const language = await loadLanguage();
    const parser = new Parser();
    parser.setLanguage(language);
    return new BashParser(parser);
  }

  /** Parses `source`, giving up at `deadline` (a `performance.now()` value). Caller deletes the tree. */
  parse(source: string, deadline: number): ParseResult {
    let cancelled = false;
    let tree: Tree | null;
    try {
      tree = this.parser.parse(source, null, {
        progressCallback: () => {
          cancelled = performance.now() > deadline;
          return cancelled;
        },
      });
    } catch (err) {
      this.parser.reset();
      return { error: `parser failed: ${err instanceof Error ? err.message : String(err)}` };
    }
    if (!tree) {
      // A cancelled parse would otherwise resume on the next, unrelated script.
      this.parser.reset();
      return { error: cancelled ? 'parse exceeded time budget' : 'parse failed' };
    }
    return { tree };
  }
}
