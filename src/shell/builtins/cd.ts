import { concat, lit, render, textOf, unknownValue, type Value } from '../value.js';
import type { Builtin } from './host.js';

/** `cd DIR` changes where relative paths such as `echo 1 > ip_local_port_range` land. */
export const cd: Builtin = {
  run: ({ args }, host) => {
    const scope = host.scope;
    const dirs = args.filter((a) => !(textOf(a) ?? '').startsWith('-'));
    const dir = dirs[0];
    const known = dir ? textOf(dir) : null;
    let pwd: Value;
    if (!dir || known === null) pwd = unknownValue(dir ? `cd to ${render(dir)}` : 'cd to $HOME');
    else if (known.startsWith('/')) pwd = dir;
    else pwd = concat(scope.lookup('PWD'), lit('/'), dir);
    scope.vars.set('PWD', { kind: 'value', value: pwd, exported: true });
    return null;
  },
};
