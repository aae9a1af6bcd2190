import { isSysctlConfPath } from '../sysctl-conf.js';
import { textOf } from '../value.js';
import type { Builtin } from './host.js';

/** `cp SRC /etc/sysctl.d/X.conf` puts known content where `sysctl --system` will load it. */
export const cp: Builtin = {
  // Only the plain two-operand form is modelled; anything else leaves the files as they were.
  applies: (call) => call.args.length === 2,
  run: ({ args }, host) => {
    const src = textOf(args[0]!);
    const dst = textOf(args[1]!);
    const chunks = src === null ? undefined : host.readFile(src);
    if (dst !== null && chunks && isSysctlConfPath(dst)) host.setFile(dst, [...chunks]);
    return null;
  },
};
