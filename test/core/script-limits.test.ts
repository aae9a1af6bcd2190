/**
 * The env a script analysis takes is bounded: past MAX_SCRIPT_ENV_ENTRIES variables (env
 * entries, or names from envFrom ConfigMaps) the script is unknown, never clean; a
 * container that runs nothing from the spec gets no env at all.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { configMapKey } from '../../src/core/configmap-inputs.js';
import { viewOf } from '../../src/core/object-view.js';
import { buildContext, envOf } from '../../src/core/rule-context.js';
import { REVIEW_BUDGET_DEFAULTS } from '../../src/core/script-jobs.js';
import { MAX_SCRIPT_CONTAINERS, MAX_SCRIPT_ENV_ENTRIES } from '../../src/core/script-limits.js';
import { emptyState } from '../../src/core/state.js';
import { createScriptAnalyzer, type ScriptAnalyzer } from '../../src/shell/index.js';

// biome-ignore lint/suspicious/noExplicitAny: pod specs are free-form JSON.
type Json = any;

const SCRIPT = 'echo 1 > /proc/sys/net/ipv4/$KEY';
/** `n` env entries, the last one KEY=ip_forward, the rest filler. */
const envOf_ = (n: number) => [
  ...Array.from({ length: n - 1 }, (_, i) => ({ name: `V${i}`, value: 'x' })),
  { name: 'KEY', value: 'ip_forward' },
];

function pod(container: Json) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'ops' },
    spec: { containers: [container] },
  };
}

let analyzer: ScriptAnalyzer;
beforeAll(async () => {
  analyzer = await createScriptAnalyzer();
});

function analysisOf(container: Json, configMaps?: Map<string, Record<string, string>>) {
  const view = viewOf(pod(container))!;
  const ctx = buildContext(
    view,
    emptyState(),
    { analyzer, budget: REVIEW_BUDGET_DEFAULTS },
    () => false,
    configMaps,
  );
  return ctx.scripts()[0]!.analysis;
}

const sh = { name: 'c', image: 'busybox', command: ['sh', '-c', SCRIPT] };
const bigConfigMap = (keys: number) =>
  new Map([
    [configMapKey('ops', 'big'), Object.fromEntries(Array.from({ length: keys }, (_, i) => [`K${i}`, 'x']))],
  ]);

describe('script env bound', () => {
  it.each([
    ['a few env entries', { ...sh, env: envOf_(3) }, undefined, 'net.ipv4.ip_forward'],
    ['exactly the cap', { ...sh, env: envOf_(MAX_SCRIPT_ENV_ENTRIES) }, undefined, 'net.ipv4.ip_forward'],
    ['one entry over the cap', { ...sh, env: envOf_(MAX_SCRIPT_ENV_ENTRIES + 1) }, undefined, 'unknown'],
    ['170,000 entries', { ...sh, env: envOf_(170_000) }, undefined, 'unknown'],
    [
      'envFrom a ConfigMap of cap keys plus one env entry',
      { ...sh, env: envOf_(1), envFrom: [{ configMapRef: { name: 'big' } }] },
      bigConfigMap(MAX_SCRIPT_ENV_ENTRIES),
      'unknown',
    ],
    [
      'envFrom a ConfigMap under the cap',
      { ...sh, env: envOf_(1), envFrom: [{ configMapRef: { name: 'big' } }] },
      bigConfigMap(MAX_SCRIPT_ENV_ENTRIES - 1),
      'net.ipv4.ip_forward',
    ],
  ])('%s', (_name, container, configMaps, expected) => {
    const analysis = analysisOf(container, configMaps);
    if (expected === 'unknown') {
      expect(analysis.unknown).toMatch(/env variables, over the 1000/);
      expect(analysis.writes).toEqual([]);
    } else {
      expect(analysis.unknown).toBeUndefined();
      expect(analysis.writes.map((w) => w.key)).toEqual([expected]);
    }
  });

  it.each([
    ['no command or args', { name: 'c', image: 'app', env: envOf_(170_000) }, 0],
    ['empty command and args', { name: 'c', image: 'app', command: [], args: [], env: envOf_(50) }, 0],
    ['a command', { ...sh, env: envOf_(50) }, 50],
    ['a command and more entries than the cap', { ...sh, env: envOf_(5_000) }, MAX_SCRIPT_ENV_ENTRIES],
  ])('envOf, %s', (_name, container, size) => {
    expect(Object.keys(envOf(container)).length).toBe(size);
  });
});

describe('script container bound', () => {
  function podOf(containers: Json[]) {
    return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ops' }, spec: { containers } };
  }
  const plain = (i: number) => ({ name: `p${i}`, image: 'app' });
  const script = (i: number) => ({
    name: `s${i}`,
    image: 'busybox',
    command: ['sh', '-c', `sysctl -w net.core.somaxconn=${i}`],
  });

  it.each([
    [
      'exactly the cap of script containers',
      [...Array.from({ length: MAX_SCRIPT_CONTAINERS }, (_, i) => script(i))],
      0,
    ],
    ['one over the cap', Array.from({ length: MAX_SCRIPT_CONTAINERS + 1 }, (_, i) => script(i)), 1],
    [
      'containers without a command do not count',
      [
        ...Array.from({ length: 500 }, (_, i) => plain(i)),
        ...Array.from({ length: MAX_SCRIPT_CONTAINERS }, (_, i) => script(i)),
      ],
      0,
    ],
    [
      '2,000 script containers',
      Array.from({ length: 2_000 }, (_, i) => script(i)),
      2_000 - MAX_SCRIPT_CONTAINERS,
    ],
  ] as [string, Json[], number][])('%s: %i unknown', (_name, containers, unknown) => {
    const view = viewOf(podOf(containers))!;
    const scripts = buildContext(
      view,
      emptyState(),
      { analyzer, budget: REVIEW_BUDGET_DEFAULTS },
      () => false,
    ).scripts();
    expect(scripts.filter((s) => s.analysis.unknown !== undefined)).toHaveLength(unknown);
    for (const s of scripts.filter((s) => s.analysis.unknown !== undefined)) {
      expect(s.analysis.unknown).toMatch(/more than 200 containers/);
      expect(s.ref.container.name).toMatch(/^s/);
    }
    expect(scripts.filter((s) => s.analysis.writes.length === 1)).toHaveLength(
      containers.filter((c: Json) => c.command).length - unknown,
    );
  });
});
