import { interpreterTouchesSysctl } from '../interpreters.js';
import type { Builtin } from './host.js';

/**
 * `python -c`, `perl -e`, `awk '...'`: code in another language is not analysed. When it names
 * /proc/sys or a sysctl it may write one, so the analysis is unknown from here.
 */
export const interpreter: Builtin = {
  // An interpreter whose program names no sysctl is not this builtin's case (a function may be).
  applies: ({ base, args, stdin }) => interpreterTouchesSysctl(base, args, stdin?.value),
  run: ({ base, line }, host) => {
    host.unknown(
      `a ${base} program at line ${line} touches /proc/sys or a sysctl; portguard does not analyse ${base} code`,
    );
    return null;
  },
};
