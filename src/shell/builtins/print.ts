import { echoOutput, printfOutput } from '../output.js';
import { textOf } from '../value.js';
import type { Builtin } from './host.js';

/** `echo` and `printf` matter for what they print: the bytes a redirect or `tee` writes. */

export const echo: Builtin = {
  run: (call) => ({ value: echoOutput(call.args), line: call.line, perLine: false }),
};

export const printf: Builtin = {
  run: ({ args, line }, host) => {
    // `printf -v NAME` assigns instead of printing; a later `echo "$NAME" > ...` may write it.
    if (args[0] && textOf(args[0]) === '-v' && args[1]) {
      const name = textOf(args[1]);
      if (name)
        host.scope.vars.set(name, { kind: 'value', value: printfOutput(args.slice(2)), exported: false });
      return null;
    }
    return { value: printfOutput(args), line, perLine: false };
  },
};
