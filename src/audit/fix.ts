/**
 * `audit --fix`: the `kubectl patch` commands that move every conflicting Service port
 * to a safe free nodePort (seed 000's advice: keep the ranges disjoint and move every
 * Service in the overlap). Pure: it reads the scan's findings and state and returns data.
 */
import { pickFree, type Random, safeNodePorts } from '../core/mutate.js';
import { listenedNodePorts } from '../core/node-listeners.js';
import type { ClusterState } from '../core/state.js';
import { NODEPORT_MOVE_RULE_IDS } from '../rules/catalog.js';
import type { AuditEntry } from './scan.js';

export interface PortMove {
  /** Finding path, e.g. `spec.ports[0].nodePort`. */
  path: string;
  /** JSON Pointer for the patch, e.g. `/spec/ports/0/nodePort`. */
  pointer: string;
  from: number;
  /** Undefined when no safe free port is left. */
  to?: number;
}

export interface ServiceFix {
  namespace: string;
  name: string;
  moves: PortMove[];
  /** The `kubectl patch` command, or a `#` comment saying why there is none. */
  command: string;
}

/** `spec.ports[3].nodePort` → `/spec/ports/3/nodePort`. */
export function toJsonPointer(path: string): string {
  return `/${path
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .join('/')}`;
}

function indexOf(path: string): number {
  const m = /\[(\d+)\]/.exec(path);
  // healthCheckNodePort sorts after every spec.ports entry.
  return m ? Number(m[1]) : Number.MAX_SAFE_INTEGER;
}

/** The patch as `kubectl patch --type=json -p` takes it. */
export function patchOf(moves: PortMove[]): { op: 'replace'; path: string; value: number }[] {
  return moves
    .filter((m) => m.to !== undefined)
    .map((m) => ({ op: 'replace', path: m.pointer, value: m.to! }));
}

/** Lowest free port first, so the same cluster state always yields the same commands. */
const lowestFirst: Random = () => 0;

/**
 * Plans one command per conflicting Service, in namespace/name order, handing out ports
 * from the KEP-3668 static band first and never the same port twice.
 */
export function planFixes(
  entries: AuditEntry[],
  state: ClusterState,
  random: Random = lowestFirst,
): ServiceFix[] {
  const byService = new Map<string, { namespace: string; name: string; moves: Map<string, PortMove> }>();
  for (const { finding: f, exempted } of entries) {
    if (exempted || f.kind !== 'Service' || !NODEPORT_MOVE_RULE_IDS.includes(f.rule) || f.severity !== 'deny')
      continue;
    if (!/^spec\.(ports\[\d+\]\.nodePort|healthCheckNodePort)$/.test(f.path)) continue;
    const port = f.ports?.[0];
    if (port === undefined) continue;
    const key = `${f.namespace}/${f.name}`;
    let svc = byService.get(key);
    if (!svc) {
      svc = { namespace: f.namespace, name: f.name, moves: new Map() };
      byService.set(key, svc);
    }
    if (!svc.moves.has(f.path))
      svc.moves.set(f.path, { path: f.path, pointer: toJsonPointer(f.path), from: port });
  }
  const safe = safeNodePorts(state.ranges, state.nodesComplete);
  const given = new Set<number>();
  // A move does not know its port's protocol, so a port any node's process listens on is avoided.
  const listened = (['TCP', 'UDP', 'SCTP'] as const).map((p) => listenedNodePorts(state.ranges, p));
  const isUsed = (p: number) =>
    given.has(p) || state.inventory.isUsed(p) || listened.some((set) => set.has(p));
  const services = [...byService.values()].sort(
    (a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name),
  );
  return services.map((svc) => {
    const moves = [...svc.moves.values()].sort((a, b) => indexOf(a.path) - indexOf(b.path));
    for (const move of moves) {
      const to = pickFree(safe.band, isUsed, random) ?? pickFree(safe.rest, isUsed, random);
      if (to !== undefined) {
        move.to = to;
        given.add(to);
      }
    }
    return {
      namespace: svc.namespace,
      name: svc.name,
      moves,
      command: commandFor(svc.namespace, svc.name, moves),
    };
  });
}

function commandFor(namespace: string, name: string, moves: PortMove[]): string {
  const stuck = moves.filter((m) => m.to === undefined);
  const patch = patchOf(moves);
  const lines: string[] = [];
  if (stuck.length > 0) {
    lines.push(
      `# ${namespace}/${name}: no safe free nodePort left for ${stuck.map((m) => `${m.path} (${m.from})`).join(', ')}; ` +
        'reserve the overlap on the nodes instead',
    );
  }
  if (patch.length > 0) {
    // Namespace and name are DNS labels and the patch holds no single quote, so this quoting is safe.
    lines.push(`kubectl patch service -n ${namespace} ${name} --type=json -p '${JSON.stringify(patch)}'`);
  }
  return lines.join('\n');
}
