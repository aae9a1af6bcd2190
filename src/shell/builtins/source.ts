import type { Builtin } from './host.js';
import { scriptFile } from './script-file.js';

/** `. FILE` and `source FILE` run FILE in this very shell. */
export const source: Builtin = {
  run: ({ args, line }, host) => {
    const file = args[0];
    if (!file) return null;
    const script = scriptFile(host, file, 'sources', line);
    if (script !== undefined) host.runHere(script, line);
    return null;
  },
};
