import type { Builtin } from './host.js';

/** `exit` ends the shell; `return` ends the function or sourced file. Nothing after them runs. */

export const exit: Builtin = {
  run: (_call, host) => {
    host.exit('exit');
    return null;
  },
};

export const ret: Builtin = {
  run: (_call, host) => {
    host.exit('return');
    return null;
  },
};
