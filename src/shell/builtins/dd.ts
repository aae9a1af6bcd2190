import { type Stream, unknownStream } from '../stream.js';
import { render, splitFirst, textOf, type Value } from '../value.js';
import { contentStream } from './content.js';
import type { Builtin } from './host.js';

/** `dd of=FILE [if=FILE]` copies its input (stdin unless `if=`) to FILE. */
export const dd: Builtin = {
  run: ({ args, stdin, line }, host) => {
    let target: Value | null = null;
    let input: Stream | null = stdin;
    for (const a of args) {
      const split = splitFirst(a, '=');
      const opt = split ? textOf(split[0]) : null;
      if (!split || opt === null) continue;
      if (opt === 'of') target = split[1];
      if (opt === 'if') {
        input =
          contentStream(host, textOf(split[1])) ?? unknownStream(`contents of ${render(split[1])}`, line);
      }
    }
    if (target)
      host.writeFile(target, input ?? unknownStream('dd input is not resolvable', line), false, line);
    return null;
  },
};
