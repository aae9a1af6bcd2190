import { SHELLS } from '../command.js';
import { isInterpreter } from '../interpreters.js';
import { cat } from './cat.js';
import { cd } from './cd.js';
import { cp } from './cp.js';
import { dd } from './dd.js';
import { exit, ret } from './exit.js';
import type { Builtin, Call } from './host.js';
import { evalBuiltin, trap } from './inline.js';
import { interpreter } from './interpreter.js';
import { echo, printf } from './print.js';
import { shell } from './shell.js';
import { source } from './source.js';
import { sysctl } from './sysctl.js';
import { tee } from './tee.js';
import { xargs } from './xargs.js';

export type { Builtin, BuiltinHost, Call, Handler } from './host.js';

/**
 * Commands whose effect the analysis models, by basename. A command not here (or whose
 * builtin does not apply) runs as a shell function of that name if there is one, else does
 * nothing the analysis tracks; its redirected output is still written, as unknown bytes.
 */
const TABLE: ReadonlyMap<string, Builtin> = new Map([
  ...[...SHELLS].map((name): [string, Builtin] => [name, shell]),
  ...Object.entries({
    eval: evalBuiltin,
    trap,
    '.': source,
    source,
    sysctl,
    echo,
    printf,
    cat,
    tee,
    cp,
    dd,
    cd,
    exit,
    return: ret,
    xargs,
  }),
]);

/** The builtin that runs `call`, if any. */
export function builtinFor(call: Call): Builtin | undefined {
  // Interpreters are many (python3.12, gawk, ...): matched by pattern, not listed.
  const builtin = TABLE.get(call.base) ?? (isInterpreter(call.base) ? interpreter : undefined);
  if (builtin?.applies && !builtin.applies(call)) return undefined;
  return builtin;
}
