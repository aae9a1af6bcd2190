import jsonpatch from 'fast-json-patch';
import { describe, expect, it } from 'vitest';
import { patchOf, planFixes, toJsonPointer } from '../../src/audit/fix.js';
import type { AuditEntry } from '../../src/audit/scan.js';
import { emptyState } from '../../src/core/state.js';
import type { Finding, RuleId, Severity } from '../../src/core/types.js';
import { KERNEL, rangesOf, service } from './cluster-fixtures.js';

function conflict(
  namespace: string,
  name: string,
  path: string,
  port: number,
  opts: { rule?: RuleId; severity?: Severity; exempted?: boolean } = {},
): AuditEntry {
  const finding: Finding = {
    rule: opts.rule ?? 'nodeport-in-ephemeral-range',
    severity: opts.severity ?? 'deny',
    kind: 'Service',
    namespace,
    name,
    path,
    nodes: ['worker-1'],
    nodeCount: 1,
    message: '',
    ports: [port],
  };
  return { finding, resources: [], exempted: opts.exempted === true };
}

// worker-1 can pick anything above 30010 in the NodePort range: 30000-30010 is all that is safe.
const ranges = rangesOf({
  'node.worker-1': '{"ipLocalPortRange": "1024 65535", "ipLocalReservedPorts": "30000-30010"}',
  'node.worker-2': KERNEL,
});

function stateWith(used: number[]) {
  const state = emptyState(ranges);
  state.nodesComplete = true;
  used.forEach((p, i) => {
    state.inventory.upsert(service('taken', `s${i}`, [p]));
  });
  return state;
}

describe('toJsonPointer', () => {
  it.each([
    ['spec.ports[0].nodePort', '/spec/ports/0/nodePort'],
    ['spec.ports[12].nodePort', '/spec/ports/12/nodePort'],
    ['spec.healthCheckNodePort', '/spec/healthCheckNodePort'],
  ])('%s → %s', (path, pointer) => {
    expect(toJsonPointer(path)).toBe(pointer);
  });
});

describe('planFixes', () => {
  it('orders by namespace and name, skips used ports and never hands out a port twice', () => {
    const fixes = planFixes(
      [
        conflict('web', 'b', 'spec.ports[1].nodePort', 32001),
        conflict('web', 'b', 'spec.ports[0].nodePort', 32000),
        conflict('app', 'a', 'spec.ports[0].nodePort', 31000),
        conflict('web', 'b', 'spec.ports[0].nodePort', 32000, { rule: 'nodeport-hostport-collision' }),
      ],
      stateWith([30000, 30002]),
    );
    expect(
      fixes.map((f) => [f.namespace, f.name, f.moves.map((m) => `${m.pointer}:${m.from}->${m.to}`)]),
    ).toEqual([
      ['app', 'a', ['/spec/ports/0/nodePort:31000->30001']],
      ['web', 'b', ['/spec/ports/0/nodePort:32000->30003', '/spec/ports/1/nodePort:32001->30004']],
    ]);
  });

  it('produces commands whose patch is valid JSON Patch and applies to the Service', () => {
    const svc = service('web', 'b', [32000, 32001], { type: 'LoadBalancer', healthCheckNodePort: 32100 });
    const [fix] = planFixes(
      [
        conflict('web', 'b', 'spec.ports[0].nodePort', 32000),
        conflict('web', 'b', 'spec.healthCheckNodePort', 32100),
      ],
      stateWith([]),
    );
    const m = /^kubectl patch service -n web b --type=json -p '(.*)'$/.exec(fix!.command);
    expect(m).not.toBeNull();
    const patch = JSON.parse(m![1]!);
    expect(patch).toEqual(patchOf(fix!.moves));
    expect(jsonpatch.validate(patch, svc)).toBeUndefined();
    const moved = jsonpatch.applyPatch(structuredClone(svc), patch).newDocument;
    expect(moved.spec.ports.map((p: { nodePort: number }) => p.nodePort)).toEqual([30000, 32001]);
    expect(moved.spec.healthCheckNodePort).toBe(30001);
  });

  it('ignores warnings, non-Service findings and exempted findings', () => {
    const podFinding = conflict('web', 'p', 'spec.containers[0].ports[0].containerPort', 32000);
    podFinding.finding.kind = 'Pod';
    const fixes = planFixes(
      [
        conflict('web', 'w', 'spec.ports', 0, { severity: 'warn' }),
        conflict('web', 'x', 'spec.ports[0].nodePort', 32000, { exempted: true }),
        podFinding,
      ],
      stateWith([]),
    );
    expect(fixes).toEqual([]);
  });

  it('says so in a comment when the safe ports run out, and still moves what it can', () => {
    const entries = Array.from({ length: 12 }, (_, i) =>
      conflict('web', `s${String(i).padStart(2, '0')}`, 'spec.ports[0].nodePort', 31000 + i),
    );
    const fixes = planFixes(entries, stateWith([]));
    const targets = fixes.flatMap((f) => f.moves.map((m) => m.to)).filter((p) => p !== undefined);
    expect(targets).toEqual([30000, 30001, 30002, 30003, 30004, 30005, 30006, 30007, 30008, 30009, 30010]);
    expect(fixes.at(-1)!.command).toBe(
      '# web/s11: no safe free nodePort left for spec.ports[0].nodePort (31011); reserve the overlap on the nodes instead',
    );
  });

  it('moves a Service off a port a node process listens on, to a port no node process listens on', () => {
    const state = emptyState(
      rangesOf({
        'node.worker-1':
          '{"ipLocalPortRange": "1024 65535", "ipLocalReservedPorts": "30000-30010", "listeners": {"tcp": "31000,30000", "udp": "30001"}}',
        'node.worker-2': KERNEL,
      }),
    );
    state.nodesComplete = true;
    const fixes = planFixes(
      [conflict('web', 'a', 'spec.ports[0].nodePort', 31000, { rule: 'nodeport-host-listener-collision' })],
      state,
    );
    // 30000 (TCP) and 30001 (UDP) are held: a move does not know its protocol, so both are avoided.
    expect(fixes.flatMap((f) => f.moves.map((m) => `${m.from}->${m.to}`))).toEqual(['31000->30002']);
  });
});
