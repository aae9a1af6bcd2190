import { textOf, type Value } from '../value.js';
import type { Builtin, BuiltinHost } from './host.js';

/** `eval` and trap handlers run text in this very shell: its variables, its `exit`. */

export const evalBuiltin: Builtin = {
  // eval joins its arguments with spaces and runs the result.
  run: ({ args, line }, host) => {
    runText(host, args, 'eval', line);
    return null;
  },
};

export const trap: Builtin = {
  // The handler runs later (on exit or a signal); when does not matter for what it writes.
  run: ({ args, line }, host) => {
    const handler = args[0];
    const t = handler ? textOf(handler) : null;
    // `trap - SIG`, `trap '' SIG` and `trap -p` set no handler.
    if (handler && t !== '-' && t !== '' && !(t ?? '').startsWith('-'))
      runText(host, [handler], 'a trap handler', line);
    return null;
  },
};

function runText(host: BuiltinHost, words: Value[], what: string, line: number): void {
  const texts = words.map(textOf);
  if (texts.some((t) => t === null)) {
    host.unknown(`${what} at line ${line} runs text portguard cannot resolve`);
    return;
  }
  host.runHere(texts.join(' '), line);
}
