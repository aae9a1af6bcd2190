import { render, textOf, type Value } from '../value.js';
import type { BuiltinHost } from './host.js';

/**
 * The text of a script file the pod mounts (a ConfigMap). A file that is not in the pod spec
 * may do anything, so the analysis becomes unknown rather than clean.
 */
export function scriptFile(host: BuiltinHost, file: Value, verb: string, line: number): string | undefined {
  const path = textOf(file);
  const script = path === null ? undefined : host.mountedScript(path);
  if (script === undefined)
    host.unknown(`line ${line} ${verb} ${render(file)}, a script file portguard cannot read`);
  return script;
}
