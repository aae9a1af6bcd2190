import { beforeAll, describe, expect, it } from 'vitest';
import { parseNodeRanges } from '../../src/core/node-ranges.js';
import { DEFAULT_POLICY, type Policy } from '../../src/core/policy.js';
import { createReviewer, type Reviewer } from '../../src/core/review.js';
import type { Rule } from '../../src/core/rule-context.js';
import { type ClusterState, emptyState } from '../../src/core/state.js';
import { ruleMetaOf } from '../../src/rules/catalog.js';
import { createScriptAnalyzer, type ScriptAnalyzer } from '../../src/shell/index.js';

let scripts: ScriptAnalyzer;
let reviewer: Reviewer;
beforeAll(async () => {
  scripts = await createScriptAnalyzer();
  reviewer = createReviewer({ scripts });
});

const ranges = parseNodeRanges({ 'node.w1': '{"ipLocalPortRange": "1024 65535"}' }).ranges;
const state = (): ClusterState => emptyState(ranges);

function svc(nodePort: number, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'shop', ...extra },
    spec: { type: 'NodePort', ports: [{ port: 80, nodePort }] },
  };
}

describe('review decisions', () => {
  it('denies a nodePort in a node ephemeral range in enforce mode', () => {
    const r = reviewer.review({ operation: 'CREATE', object: svc(32582) }, state(), DEFAULT_POLICY);
    expect(r.allowed).toBe(false);
    expect(r.denials.map((f) => [f.rule, f.path, f.nodes])).toEqual([
      ['nodeport-in-ephemeral-range', 'spec.ports[0].nodePort', ['w1']],
    ]);
    expect(r.denials[0]!.message).toMatch(/32582.*"1024 65535".*w1/);
    // w1 takes every port of the NodePort range: reserving it is the only fix.
    expect(r.denials[0]!.message).toContain('No nodePort is safe there: reserve the NodePort range');
  });

  it.each([
    ['warn', true],
    ['audit', true],
    ['enforce', false],
  ] as const)('mode %s → allowed=%s, findings kept', (mode, allowed) => {
    const r = reviewer.review({ operation: 'CREATE', object: svc(32582) }, state(), {
      ...DEFAULT_POLICY,
      mode,
    });
    expect(r.allowed).toBe(allowed);
    expect(r.findings).toHaveLength(1);
  });

  it.each([
    [{ 'portguard.io/mode': 'warn' }, true, true],
    [{ 'portguard.io/mode': 'bogus' }, true, false],
    [{ 'portguard.io/mode': 'warn' }, false, false],
  ])('namespace label %j (label allowed=%s) → allowed=%s', (labels, allowLabel, allowed) => {
    const policy = { ...DEFAULT_POLICY, allowNamespaceModeLabel: allowLabel };
    const r = reviewer.review(
      { operation: 'CREATE', object: svc(32582), namespaceLabels: labels },
      state(),
      policy,
    );
    expect(r.allowed).toBe(allowed);
  });

  it.each([
    [[{ namespaces: ['shop'] }], true],
    [[{ namespaces: ['other'] }], false],
    [[{ names: ['we*'] }], true],
    [[{ names: ['web'], rules: ['nodeport-hostport-collision'] }], false],
    [[{ kinds: ['Service'], rules: ['nodeport-in-ephemeral-range'] }], true],
  ] as [Policy['exemptions'], boolean][])('policy exemption %j → allowed=%s', (exemptions, allowed) => {
    const r = reviewer.review({ operation: 'CREATE', object: svc(32582) }, state(), {
      ...DEFAULT_POLICY,
      exemptions,
    });
    expect(r.allowed).toBe(allowed);
    expect(r.exempted.length > 0).toBe(allowed);
  });

  it('ignores exemption-looking annotations written by the object author', () => {
    const object = svc(32582, {
      annotations: { 'portguard.io/exempt': 'true', 'portguard.io/mode': 'audit' },
    });
    expect(reviewer.review({ operation: 'CREATE', object }, state(), DEFAULT_POLICY).allowed).toBe(false);
  });

  it('allows kinds it does not check, and DELETE', () => {
    const cm = { kind: 'ConfigMap', metadata: { name: 'x' } };
    expect(reviewer.review({ operation: 'CREATE', object: cm }, state(), DEFAULT_POLICY).findings).toEqual(
      [],
    );
    expect(
      reviewer.review({ operation: 'DELETE', object: null, oldObject: svc(32582) }, state(), DEFAULT_POLICY)
        .allowed,
    ).toBe(true);
  });
});

describe('UPDATE semantics', () => {
  it('does not block an edit that keeps a preexisting violation', () => {
    const old = svc(32582);
    const edited = svc(32582, { labels: { team: 'a' }, finalizers: [] });
    const r = reviewer.review(
      { operation: 'UPDATE', object: edited, oldObject: old },
      state(),
      DEFAULT_POLICY,
    );
    expect(r.allowed).toBe(true);
    expect(r.findings.map((f) => f.preexisting)).toEqual([true]);
  });

  it('blocks an update that introduces a new violation', () => {
    const r = reviewer.review(
      { operation: 'UPDATE', object: svc(32582), oldObject: svc(30010) },
      state(),
      DEFAULT_POLICY,
    );
    expect(r.allowed).toBe(false);
  });

  it('blocks an update that worsens a violation to more nodes', () => {
    const two = parseNodeRanges({
      'node.w1': '{"ipLocalPortRange": "1024 65535"}',
      'node.w2': '{"ipLocalPortRange": "1024 65535", "ipLocalReservedPorts": "32582"}',
    }).ranges;
    const s = emptyState(two);
    // Same port, same path: the old object was judged against the same state, so nodes are equal.
    expect(
      reviewer.review({ operation: 'UPDATE', object: svc(32582), oldObject: svc(32582) }, s, DEFAULT_POLICY)
        .allowed,
    ).toBe(true);
    const moved = reviewer.review(
      { operation: 'UPDATE', object: svc(32583), oldObject: svc(32582) },
      s,
      DEFAULT_POLICY,
    );
    expect(moved.allowed).toBe(false);
    expect(moved.denials[0]!.nodes).toEqual(['w1', 'w2']);
  });
});

describe('ephemeral containers', () => {
  const widen = ['sysctl', '-w', 'net.ipv4.ip_local_port_range=1024 65535'];
  const pod = (ephemeral?: unknown[], extra: Record<string, unknown> = {}) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'app', namespace: 'shop' },
    spec: {
      hostNetwork: true,
      containers: [{ name: 'app', image: 'nginx' }],
      ...(ephemeral ? { ephemeralContainers: ephemeral } : {}),
      ...extra,
    },
  });
  const debug = (name: string) => ({ name, image: 'busybox', command: widen });

  // kubectl debug adds the container through an UPDATE of pods/ephemeralcontainers.
  it.each([
    ['the first debug container', undefined, [debug('dbg')], 'spec.ephemeralContainers[0].command'],
    [
      'a second debug container',
      [debug('dbg')],
      [debug('dbg'), debug('dbg2')],
      'spec.ephemeralContainers[1].command',
    ],
  ])('denies %s that widens the node range, as new', (_name, before, after, path) => {
    const r = reviewer.review(
      { operation: 'UPDATE', object: pod(after), oldObject: pod(before) },
      state(),
      DEFAULT_POLICY,
    );
    expect(r.allowed).toBe(false);
    expect(r.denials.map((f) => [f.rule, f.path, f.preexisting])).toEqual([
      ['port-range-overlaps-nodeports', path, undefined],
    ]);
  });

  it('keeps a debug container that was already there preexisting', () => {
    const r = reviewer.review(
      { operation: 'UPDATE', object: pod([debug('dbg')]), oldObject: pod([debug('dbg')]) },
      state(),
      DEFAULT_POLICY,
    );
    expect(r.allowed).toBe(true);
    expect(r.findings.map((f) => f.preexisting)).toEqual([true]);
  });

  it('judges an ephemeral container that nsenters the node from a hostPID pod', () => {
    const nsenter = { name: 'dbg', image: 'busybox', command: ['nsenter', '-t', '1', '-n', ...widen] };
    const r = reviewer.review(
      { operation: 'CREATE', object: pod([nsenter], { hostNetwork: false, hostPID: true }) },
      state(),
      DEFAULT_POLICY,
    );
    expect(r.denials.map((f) => f.path)).toEqual(['spec.ephemeralContainers[0].command']);
  });
});

describe('dry run placeholders', () => {
  const dryObject = {
    ...svc(32769),
    metadata: {
      name: 'web',
      namespace: 'shop',
      managedFields: [
        {
          manager: 'kubectl',
          fieldsV1: { 'f:spec': { 'f:ports': { 'k:{"port":80,"protocol":"TCP"}': { 'f:port': {} } } } },
        },
      ],
    },
  };

  it('does not judge apiserver placeholders as real ports', () => {
    const r = reviewer.review(
      { operation: 'CREATE', object: dryObject, dryRun: true },
      state(),
      DEFAULT_POLICY,
    );
    expect(r.allowed).toBe(true);
    expect(r.findings.map((f) => [f.rule, f.severity])).toEqual([['nodeport-in-ephemeral-range', 'warn']]);
  });

  it('judges a port the user set (f:nodePort in managedFields) in a dry run', () => {
    const owned = structuredClone(dryObject);
    owned.metadata.managedFields[0]!.fieldsV1['f:spec']['f:ports']['k:{"port":80,"protocol":"TCP"}'] = {
      'f:port': {},
      'f:nodePort': {},
    } as never;
    expect(
      reviewer.review({ operation: 'CREATE', object: owned, dryRun: true }, state(), DEFAULT_POLICY).allowed,
    ).toBe(false);
  });

  it('judges the same port as real outside a dry run', () => {
    expect(reviewer.review({ operation: 'CREATE', object: dryObject }, state(), DEFAULT_POLICY).allowed).toBe(
      false,
    );
  });
});

describe('internal errors fail closed', () => {
  it('turns a throwing rule into a deny that exemptions and warn findings cannot hide', () => {
    const boom: Rule = {
      meta: ruleMetaOf('nodeport-in-ephemeral-range'),
      evaluate() {
        throw new TypeError('boom');
      },
    };
    const r = createReviewer({ scripts, rules: [boom] }).review(
      { operation: 'CREATE', object: svc(30010) },
      state(),
      {
        ...DEFAULT_POLICY,
        exemptions: [{ namespaces: ['shop'] }],
      },
    );
    expect(r.allowed).toBe(false);
    expect(r.denials.map((f) => f.rule)).toEqual(['internal-error']);
    expect(r.denials[0]!.message).not.toMatch(/boom/);
  });
});

describe('collisions across objects', () => {
  const ds = {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'legacy-web', namespace: 'other' },
    spec: {
      template: {
        spec: { hostNetwork: true, containers: [{ name: 'w', ports: [{ containerPort: 30584 }] }] },
      },
    },
  };

  it('finds Service vs pod and pod vs Service, ignoring namespaces', () => {
    const s = emptyState();
    const service = svc(30584);
    s.inventory.upsert(ds);
    s.inventory.upsert(service);
    const a = reviewer.review({ operation: 'CHECK', object: service }, s, DEFAULT_POLICY);
    const b = reviewer.review({ operation: 'CHECK', object: ds }, s, DEFAULT_POLICY);
    expect(a.denials.map((f) => f.rule)).toEqual(['nodeport-hostport-collision']);
    expect(b.denials.map((f) => [f.rule, f.path])).toEqual([
      ['nodeport-hostport-collision', 'spec.template.spec.containers[0].ports[0].containerPort'],
    ]);
  });

  it('does not collide an object with its own older version', () => {
    const s = emptyState();
    s.inventory.upsert(svc(30584));
    expect(
      reviewer.review({ operation: 'UPDATE', object: svc(30584), oldObject: svc(30584) }, s, DEFAULT_POLICY)
        .findings,
    ).toEqual([]);
  });

  it('does not collide across protocols', () => {
    const s = emptyState();
    const udp = {
      ...svc(30584),
      spec: { type: 'NodePort', ports: [{ port: 53, protocol: 'UDP', nodePort: 30584 }] },
    };
    s.inventory.upsert(ds);
    expect(reviewer.review({ operation: 'CHECK', object: udp }, s, DEFAULT_POLICY).findings).toEqual([]);
  });
});

describe('policy unknownNodeWrites', () => {
  const tuner = (script: string, spec: Record<string, unknown> = { hostNetwork: true }) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'tuner', namespace: 'shop' },
    spec: { ...spec, containers: [{ name: 't', image: 'busybox', command: ['sh', '-c', script] }] },
  });
  it.each([
    ['an unresolvable value on the node', 'sysctl -w net.ipv4.ip_local_port_range="$(cat /etc/r)"', {}, true],
    ['an unresolvable name on the node', 'sysctl -w "$KV"', {}, true],
    ['a script file on the node', 'sh /scripts/tune.sh', {}, true],
    ['a hazardous sysctl with an unresolvable value', 'sysctl -w net.ipv4.tcp_tw_recycle="$X"', {}, true],
    [
      'an unresolvable value in the pod only',
      'sysctl -w net.ipv4.ip_local_port_range="$(cat /etc/r)"',
      { hostNetwork: false },
      false,
    ],
    [
      'a value the kernel rejects (known, not unknown)',
      'sysctl -w net.ipv4.ip_local_port_range="x"',
      {},
      false,
    ],
  ] as const)('%s: deny turns it into a denial: %s', async (_n, script, spec, denied) => {
    const reviewer = createReviewer({ scripts: await createScriptAnalyzer({ cacheSize: 0 }) });
    const pod = tuner(script, { hostNetwork: true, ...spec });
    const state = emptyState();
    const warn = reviewer.review({ operation: 'CREATE', object: pod }, state, DEFAULT_POLICY);
    const deny = reviewer.review({ operation: 'CREATE', object: pod }, state, {
      ...DEFAULT_POLICY,
      unknownNodeWrites: 'deny',
    });
    expect(warn.allowed).toBe(true);
    expect(deny.allowed).toBe(!denied);
    if (denied) expect(deny.denials.every((f) => f.unknown)).toBe(true);
  });
});

describe('nodeport-in-ephemeral-range: the fix fits the node', () => {
  it.each([
    [
      'a range that covers only part of the NodePort range',
      '31000 60999',
      /Pick a nodePort outside every node's unreserved/,
    ],
    [
      'a range that covers all of it',
      '1024 65535',
      /No nodePort is safe there: reserve the NodePort range on those nodes with net\.ipv4\.ip_local_reserved_ports=30000-32767/,
    ],
  ])('%s', (_n, range, fix) => {
    const s = emptyState(parseNodeRanges({ 'node.w1': JSON.stringify({ ipLocalPortRange: range }) }).ranges);
    const r = reviewer.review({ operation: 'CREATE', object: svc(31500) }, s, DEFAULT_POLICY);
    expect(r.denials).toHaveLength(1);
    expect(r.denials[0]!.message).toMatch(fix);
    expect(r.denials[0]!.message).toContain(`"${range}"`);
  });
});
