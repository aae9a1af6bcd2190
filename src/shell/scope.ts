import type { SyntaxNode } from './tree.js';
import type { ScriptEnv } from './types.js';
import { lit, unknownValue, type Value } from './value.js';

/**
 * Shell variables as the walker tracks them. fieldRef variables are kept symbolic because the
 * netns guard is only trusted when POD_IP/HOST_IP really come from status.podIP/status.hostIP.
 */
export type Var = { kind: 'value'; value: Value; exported: boolean } | { kind: 'fieldRef'; path: string };

/** A file the shell holds open on a descriptor (`exec 3>/proc/sys/...`). */
export interface OpenFile {
  target: Value;
  append: boolean;
}

export class Scope {
  vars: Map<string, Var>;
  functions: Map<string, SyntaxNode>;
  positional: Value[] | null;
  /** Descriptors opened by `exec N>FILE`, by number ('1' is stdout). */
  fds = new Map<string, OpenFile>();

  constructor(
    vars = new Map<string, Var>(),
    functions = new Map<string, SyntaxNode>(),
    positional: Value[] | null = null,
  ) {
    this.vars = vars;
    this.functions = functions;
    this.positional = positional;
  }

  static fromEnv(env: ScriptEnv | undefined): Scope {
    const s = new Scope();
    for (const [name, e] of Object.entries(env ?? {})) {
      if (e.fieldRef !== undefined) s.vars.set(name, { kind: 'fieldRef', path: e.fieldRef });
      else if (e.value !== undefined)
        s.vars.set(name, { kind: 'value', value: lit(e.value), exported: true });
      else {
        s.vars.set(name, {
          kind: 'value',
          value: unknownValue(`$${name} comes from a secret, configMap or resource`),
          exported: true,
        });
      }
    }
    return s;
  }

  /** Branches and subshells get a copy so their assignments can be discarded or merged. */
  clone(): Scope {
    const s = new Scope(new Map(this.vars), new Map(this.functions), this.positional);
    s.fds = new Map(this.fds);
    return s;
  }

  /** Variables a child `sh -c` would see: only exported ones. */
  exportedOnly(): Scope {
    const s = new Scope();
    for (const [k, v] of this.vars) if (v.kind === 'fieldRef' || v.exported) s.vars.set(k, v);
    return s;
  }

  lookup(name: string): Value {
    const v = this.vars.get(name);
    if (!v) return unknownValue(`$${name} is not set in the script or env`);
    if (v.kind === 'fieldRef') return unknownValue(`$${name} comes from fieldRef ${v.path}`);
    return v.value;
  }

  /**
   * After alternative branches ran on clones, keep what all of them agree on; anything else
   * depends on which branch ran and becomes unknown.
   */
  mergeFrom(alternatives: Scope[]): void {
    const names = new Set<string>();
    for (const a of alternatives) for (const k of a.vars.keys()) names.add(k);
    for (const name of names) {
      const seen = alternatives.map((a) => a.vars.get(name));
      if (seen.every((v) => v === seen[0]) || sameJson(seen)) {
        if (seen[0]) this.vars.set(name, seen[0]);
        else this.vars.delete(name);
      } else {
        const exported = seen.some((v) => v?.kind === 'fieldRef' || v?.exported === true);
        this.vars.set(name, {
          kind: 'value',
          value: unknownValue(`$${name} depends on which branch ran`),
          exported,
        });
      }
    }
    for (const a of alternatives) for (const [k, f] of a.functions) this.functions.set(k, f);
  }
}

// Branches that did not assign a variable still share its object with the scope they were
// cloned from, so comparing by content is only needed after an assignment.
function sameJson(seen: (Var | undefined)[]): boolean {
  const first = JSON.stringify(seen[0] ?? null);
  return seen.every((v) => JSON.stringify(v ?? null) === first);
}
