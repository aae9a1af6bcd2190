import { unknownStream } from '../stream.js';
import { textOf } from '../value.js';
import type { Builtin } from './host.js';

/** `... | tee /proc/sys/...` writes its input to every file operand and passes it on. */
export const tee: Builtin = {
  run: ({ args, stdin, line }, host) => {
    const input = stdin ?? unknownStream('tee input is not resolvable', line);
    const append = args.some((a) => textOf(a) === '-a' || textOf(a) === '--append');
    for (const a of args) {
      if ((textOf(a) ?? '').startsWith('-')) continue;
      host.writeFile(a, input, append, line);
    }
    return input;
  },
};
