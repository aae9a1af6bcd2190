import { unknownStream } from '../stream.js';
import { textOf } from '../value.js';
import { contentStream } from './content.js';
import type { Builtin } from './host.js';

/** `cat FILE | sysctl -p -` and `cat <<EOF > FILE` pass content along: stdin or one known file. */
export const cat: Builtin = {
  run: ({ args, stdin, line }, host) => {
    const files = args.filter((a) => textOf(a) !== '-' && !(textOf(a) ?? '').startsWith('-'));
    if (files.length === 0) return stdin ?? unknownStream('cat input is not resolvable', line);
    const [only] = files;
    const path = only && files.length === 1 ? textOf(only) : null;
    return contentStream(host, path) ?? unknownStream('cat of a file', line);
  },
};
