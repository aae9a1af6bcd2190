/**
 * A finding as the JSON outputs show it (`check --output json` and `audit --output json`).
 * The keys and their order are a contract for scripts, so both outputs project through this
 * one function rather than dumping internal fields (`preexisting`, `unknown`, `scriptLine`)
 * and each output appends only what is its own (file and line, exemption and resources).
 */
import type { Finding } from './types.js';

export interface FindingJson {
  rule: Finding['rule'];
  severity: Finding['severity'];
  kind: string;
  namespace: string;
  name: string;
  path: string;
  message: string;
  nodes: string[];
  nodeCount: number;
  ports?: number[];
}

export function findingJson(f: Finding): FindingJson {
  return {
    rule: f.rule,
    severity: f.severity,
    kind: f.kind,
    namespace: f.namespace,
    name: f.name,
    path: f.path,
    message: f.message,
    nodes: f.nodes,
    nodeCount: f.nodeCount,
    ...(f.ports ? { ports: f.ports } : {}),
  };
}
