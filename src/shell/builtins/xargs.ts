import type { Stream } from '../stream.js';
import { lit, textOf, unknownValue } from '../value.js';
import type { Builtin } from './host.js';

/** `... | xargs [opts] CMD ARGS` runs CMD with ARGS and the words (or lines) of its input. */
export const xargs: Builtin = {
  run: ({ args, stdin, line }, host) => {
    let i = 0;
    let replace: string | null = null;
    let perLine = false;
    for (; i < args.length; i++) {
      const a = textOf(args[i]!);
      if (a === null || !a.startsWith('-')) break;
      if (a === '--') {
        i++;
        break;
      }
      if (a === '-I' || a === '-i') {
        replace = a === '-I' ? (textOf(args[i + 1] ?? []) ?? '{}') : '{}';
        if (a === '-I') i++;
        perLine = true;
      } else if (a.startsWith('-I')) {
        replace = a.slice(2);
        perLine = true;
      } else if (['-n', '-L', '-P', '-s', '-d', '-a', '-E', '--max-args', '--max-procs'].includes(a)) {
        if (a === '-L' || a === '-d') perLine = true;
        i++;
      } else if (a === '-0' || a === '--null') perLine = true;
    }
    const command = args.length > i ? args.slice(i) : [lit('echo')];
    const input = stdin ? textOf(stdin.value) : null;
    if (input === null) {
      // The command still runs (`xargs sysctl -w` writes something), with arguments unknown.
      return host.run([...command, unknownValue('xargs input is not resolvable')], line);
    }
    const items = (perLine ? input.split(/[\n\0]/) : input.split(/\s+/)).filter((x) => x !== '');
    if (replace === null) return host.run([...command, ...items.map(lit)], line);
    // `-I {}` runs the command once per input line, with `{}` replaced in every word.
    let out: Stream | null = null;
    for (const item of items) {
      const argv = command.map((w) => {
        const t = textOf(w);
        return t === null ? w : lit(t.split(replace!).join(item));
      });
      out = host.run(argv, line);
    }
    return out;
  },
};
