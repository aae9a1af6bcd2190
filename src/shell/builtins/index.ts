import { cat } from './cat.js';
import { cd } from './cd.js';
import { cp } from './cp.js';
import { dd } from './dd.js';
import type { Builtin, Call } from './host.js';
import { echo, printf } from './print.js';
import { sysctl } from './sysctl.js';
import { tee } from './tee.js';

export type { Builtin, BuiltinHost, Call, Handler } from './host.js';

/**
 * Commands whose effect the analysis models, by basename. A command not here (or whose
 * builtin does not apply) runs as a shell function of that name if there is one, else does
 * nothing the analysis tracks; its redirected output is still written, as unknown bytes.
 */
const TABLE: ReadonlyMap<string, Builtin> = new Map(
  Object.entries({
    sysctl,
    echo,
    printf,
    cat,
    tee,
    cp,
    dd,
    cd,
  }),
);

/** The builtin that runs `call`, if any. */
export function builtinFor(call: Call): Builtin | undefined {
  const builtin = TABLE.get(call.base);
  if (builtin?.applies && !builtin.applies(call)) return undefined;
  return builtin;
}
