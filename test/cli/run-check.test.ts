/** `runCheck` in-process: the orchestration the binary and the benchmark share. */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCheckState, type CheckIO, CheckStateBuilder, runCheck } from '../../src/cli/check.js';
import { ExitCode } from '../../src/cli/exit-codes.js';
import type { LoadedObject } from '../../src/cli/manifest-loader.js';
import { defaultRanges } from '../../src/core/node-ranges.js';
import { createScriptAnalyzer, type ScriptAnalyzer } from '../../src/shell/index.js';
import { mkTmp } from './run-cli.js';
import { XMLValidator } from './xml.js';

let dir: string;
let scripts: ScriptAnalyzer;

function io(stdin = ''): CheckIO & { out: string; err: string } {
  const sink = {
    out: '',
    err: '',
    stdout: (s: string) => {
      sink.out += s;
    },
    stderr: (s: string) => {
      sink.err += s;
    },
    readStdin: async () => Buffer.from(stdin),
    cwd: dir,
    scripts,
  };
  return sink;
}

const svc = (name: string, nodePort: number, ns = 'shop') =>
  `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}, namespace: ${ns}}\nspec: {type: NodePort, ports: [{port: 80, nodePort: ${nodePort}}]}\n`;
const hostPod = (name: string, port: number) =>
  `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: shop}\nspec: {hostNetwork: true, containers: [{name: c, image: i, ports: [{containerPort: ${port}}]}]}\n`;

beforeAll(async () => {
  scripts = await createScriptAnalyzer();
  dir = mkTmp('pg-run-');
  mkdirSync(join(dir, 'a'));
  mkdirSync(join(dir, 'b'));
  writeFileSync(join(dir, 'ranges.yaml'), 'data:\n  node.w1: \'{"ipLocalPortRange": "1024 65535"}\'\n');
  writeFileSync(join(dir, 'a/svc.yaml'), svc('api', 30584));
  // The same Service in another folder (another overlay), moved to a port a pod uses.
  writeFileSync(join(dir, 'b/svc.yaml'), svc('api', 30999));
  writeFileSync(join(dir, 'b/pod.yaml'), hostPod('agent', 30999));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('runCheck', () => {
  it('reviews both definitions of a duplicated object, warns about it, and never lets them collide with each other', async () => {
    const sink = io();
    const code = await runCheck({ paths: ['a', 'b'], ranges: 'ranges.yaml', output: 'json' }, sink);
    expect(code).toBe(ExitCode.Denied);
    expect(sink.err).toContain('Service/shop/api is defined twice (a/svc.yaml:1 and b/svc.yaml:1)');
    const findings = JSON.parse(sink.out).findings as { rule: string; file: string; kind: string }[];
    const collisions = findings.filter((f) => f.rule === 'nodeport-hostport-collision');
    // b/svc.yaml holds the slot: the pod sees it, and b/svc.yaml sees the pod.
    expect(collisions.map((f) => `${f.file} ${f.kind}`).sort()).toEqual([
      'b/pod.yaml Pod',
      'b/svc.yaml Service',
    ]);
    expect(findings.filter((f) => f.rule === 'nodeport-in-ephemeral-range').map((f) => f.file)).toEqual([
      'a/svc.yaml',
      'b/svc.yaml',
    ]);
  });

  it('reads stdin through the injected reader', async () => {
    const sink = io(svc('x', 31000));
    expect(await runCheck({ paths: ['-'], ranges: 'ranges.yaml', output: 'json' }, sink)).toBe(
      ExitCode.Denied,
    );
    expect(JSON.parse(sink.out).findings[0].file).toBe('<stdin>');
  });

  it.each([
    ['enforce', ExitCode.Denied],
    ['warn', ExitCode.Ok],
  ] as const)('--mode %s exits %i on a denial', async (mode, code) => {
    expect(await runCheck({ paths: ['a'], ranges: 'ranges.yaml', output: 'text', mode }, io())).toBe(code);
  });

  it('uses built-in defaults without --ranges and says so on stderr only', async () => {
    const sink = io();
    expect(await runCheck({ paths: ['a'], output: 'json' }, sink)).toBe(ExitCode.Ok);
    expect(sink.err).toMatch(/using built-in defaults/);
    expect(JSON.parse(sink.out).summary).toMatchObject({ objects: 1, findings: 0, denied: false });
  });

  const rangesList = (entry: string) =>
    [
      'apiVersion: v1',
      'kind: List',
      'items:',
      '- {apiVersion: v1, kind: ConfigMap, metadata: {name: kube-root-ca.crt}, data: {ca.crt: x}}',
      '- apiVersion: v1',
      '  kind: ConfigMap',
      '  metadata: {name: portguard-node-ranges, namespace: portguard-system}',
      `  data: {node.w1: '${entry}'}`,
    ].join('\n');

  it.each([
    ['a ConfigMap out of a List', rangesList('{"ipLocalPortRange": "1024 65535"}'), ExitCode.Denied, []],
    [
      'an entry with a misspelt field, warning about it',
      rangesList('{"ipLocalPortRnage": "1024 65535"}'),
      // The typo leaves w1 on the kernel default, where 30584 is no ephemeral port.
      ExitCode.Ok,
      [
        'portguard check: warning: <stdin>:5 (item 2 of the List, ConfigMap portguard-system/portguard-node-ranges): ' +
          'key "node.w1": unknown field "ipLocalPortRnage" is ignored; did you mean "ipLocalPortRange"?',
      ],
    ],
  ])('reads --ranges - from stdin: %s', async (_n, stdin, code, warnings) => {
    const sink = io(stdin);
    expect(await runCheck({ paths: ['a'], ranges: '-', output: 'json' }, sink)).toBe(code);
    expect(sink.err.split('\n').filter((l) => l.includes('warning'))).toEqual(warnings);
    expect(JSON.parse(sink.out).summary.objects).toBe(1);
  });

  it.each([
    [
      'stdin for both the ranges and the manifests',
      { paths: ['-'], ranges: '-' },
      '',
      'portguard check: stdin can feed either --ranges - or the manifests (-), not both\n',
    ],
  ])('refuses %s (exit 2, a usage error: stderr only)', async (_n, opts, stdin, err) => {
    const sink = io(stdin);
    expect(await runCheck({ ...opts, output: 'json' }, sink)).toBe(ExitCode.BadInput);
    expect(sink.err).toBe(err);
    expect(sink.out).toBe('');
  });

  it('reports a ranges List without the ranges ConfigMap in the output and exits 2', async () => {
    const sink = io('kind: List\nitems: []\n');
    expect(await runCheck({ paths: ['a'], ranges: '-', output: 'json' }, sink)).toBe(ExitCode.BadInput);
    const message = 'the List has no items; expected the node-ranges ConfigMap';
    expect(JSON.parse(sink.out).errors).toEqual([expect.objectContaining({ file: '<stdin>', message })]);
    expect(sink.err).toContain(`<stdin>: ${message}`);
  });

  it('turns bad stdin into exit 2 with the error in the report', async () => {
    const sink = io('kind: [');
    expect(await runCheck({ paths: ['-'], output: 'json' }, sink)).toBe(ExitCode.BadInput);
    expect(JSON.parse(sink.out).errors).toEqual([
      expect.objectContaining({ file: '<stdin>', line: 1, message: expect.stringMatching(/^invalid YAML/) }),
    ]);
    expect(sink.err).toMatch(/<stdin>:\d+: invalid YAML/);
  });
});

describe('runCheck with bad input among good', () => {
  beforeAll(() => {
    mkdirSync(join(dir, 'mixed'));
    writeFileSync(join(dir, 'mixed/1-broken.yaml'), 'kind: Service\nmetadata: {name: x\n');
    writeFileSync(join(dir, 'mixed/2-svc.yaml'), svc('api', 30584));
    writeFileSync(join(dir, 'mixed/3-binary.yaml'), Buffer.from([0x6b, 0x00]));
  });
  const args = { paths: ['mixed', 'missing.yaml'], ranges: 'ranges.yaml' };

  it.each([
    [
      'json',
      (out: string) => {
        const r = JSON.parse(out);
        expect(r.findings.map((f: { file: string }) => f.file)).toEqual(['mixed/2-svc.yaml']);
        expect(r.errors.map((e: { file: string; line?: number }) => [e.file, e.line])).toEqual([
          ['missing.yaml', undefined],
          ['mixed/1-broken.yaml', 3],
          ['mixed/3-binary.yaml', 1],
        ]);
        expect(r.summary).toMatchObject({ errors: 3, deny: 1, denied: true });
      },
    ],
    [
      'sarif',
      (out: string) => {
        const run = JSON.parse(out).runs[0];
        expect(run.results).toHaveLength(1);
        expect(run.invocations[0].executionSuccessful).toBe(false);
        expect(run.invocations[0].toolExecutionNotifications).toHaveLength(3);
      },
    ],
    [
      'junit',
      (out: string) => {
        expect(XMLValidator(out)).toBe(true);
        expect(out).toContain('<testsuites name="portguard check" tests="4" failures="1" errors="3">');
        expect(out.match(/<error /g)).toHaveLength(3);
      },
    ],
    [
      'text',
      (out: string) => {
        expect(out).toMatch(/^mixed\/2-svc\.yaml:1 Service shop\/api$/m);
        expect(out).toMatch(/^error mixed\/1-broken\.yaml:3:\d+: invalid YAML/m);
        expect(out).toMatch(/^error missing\.yaml: no such file or directory$/m);
        expect(out).toMatch(/3 input error\(s\)\n$/);
      },
    ],
  ] as const)('reports every file in %s and exits 2', async (output, check) => {
    const sink = io();
    expect(await runCheck({ ...args, output }, sink)).toBe(ExitCode.BadInput);
    check(sink.out);
    // Machine output is usually redirected: the errors are on stderr too; text has them once.
    expect(sink.err.match(/^portguard check: (missing|mixed)/gm)?.length ?? 0).toBe(
      output === 'text' ? 0 : 3,
    );
  });

  it.each([
    ['a bad ranges file', { ranges: 'mixed/1-broken.yaml' }, 'mixed/1-broken.yaml'],
    ['a missing policy file', { config: 'nope-policy.yaml' }, 'nope-policy.yaml'],
  ])('writes a complete report for %s', async (_n, flags, file) => {
    const sink = io();
    expect(await runCheck({ paths: ['a'], output: 'sarif', ...flags }, sink)).toBe(ExitCode.BadInput);
    const run = JSON.parse(sink.out).runs[0];
    expect(run.results).toEqual([]);
    expect(run.invocations[0].executionSuccessful).toBe(false);
    expect(
      run.invocations[0].toolExecutionNotifications[0].locations[0].physicalLocation.artifactLocation.uri,
    ).toBe(file);
  });
});

describe('runCheck locations', () => {
  const fixture = join(import.meta.dirname, 'fixtures', 'es-init-annotation.yaml');
  const example = join(
    import.meta.dirname,
    '..',
    '..',
    'examples',
    'bad',
    'seed-000-hostnetwork-init-sysctl.yaml',
  );

  it('puts each finding at the same line and column in every format', async () => {
    const out: Record<string, string> = {};
    for (const output of ['text', 'json', 'junit', 'sarif'] as const) {
      const sink = io();
      await runCheck({ paths: [fixture, example], output }, sink);
      out[output] = sink.out;
    }
    const findings = JSON.parse(out.json!).findings as {
      rule: string;
      file: string;
      line: number;
      column: number;
    }[];
    const at = (rule: string) => findings.find((f) => f.rule === rule)!;
    // The containerPort key of the hostNetwork Elasticsearch pod (a file yaml-compat re-read).
    expect(at('hostnetwork-port-in-ephemeral-range')).toMatchObject({ line: 33, column: 11 });
    // The script line that widens the range, inside the block scalar.
    expect(at('port-range-overlaps-nodeports')).toMatchObject({ line: 20, column: 11 });
    const sarif = JSON.parse(out.sarif!).runs[0].results as {
      ruleId: string;
      locations: { physicalLocation: { region: { startLine: number; startColumn: number } } }[];
    }[];
    for (const f of findings) {
      const place = `${f.file}:${f.line}:${f.column}`;
      expect(out.text).toContain(`(${place})`);
      expect(out.junit).toContain(`${place} `);
      const r = sarif.find((x) => x.ruleId === f.rule)!;
      expect(r.locations[0]!.physicalLocation.region).toEqual({ startLine: f.line, startColumn: f.column });
    }
  });
});

describe('CheckStateBuilder', () => {
  const at = (object: Record<string, unknown>, line: number): LoadedObject => ({
    object,
    file: 'm.yaml',
    line,
  });
  const svc = (name: string, nodePort: number) => ({
    kind: 'Service',
    metadata: { name, namespace: 'ns' },
    spec: { type: 'NodePort', ports: [{ port: 80, nodePort }] },
  });
  const objects = [
    at(svc('a', 30001), 1),
    at({ kind: 'ConfigMap', metadata: { name: 'c' } }, 5),
    at(svc('b', 30002), 9),
    at(svc('a', 30003), 13),
  ];
  const ranges = defaultRanges();
  const summary = (built: ReturnType<typeof buildCheckState>) => ({
    owners: [...built.state.inventory.owners()].map((o) => `${o.name}:${o.port}`),
    duplicates: built.duplicates.map((d) => `${d.key} ${d.first.line} ${d.again.line}`),
  });

  it.each([
    ['in one batch', [objects]],
    ['in batches', [objects.slice(0, 1), [], objects.slice(1, 3), objects.slice(3)]],
  ])('builds what buildCheckState builds when fed %s', (_n, batches) => {
    const builder = new CheckStateBuilder();
    for (const b of batches) builder.add(b);
    const built = builder.finish(objects, ranges);
    expect(summary(built)).toEqual(summary(buildCheckState(objects, ranges)));
    expect(summary(built)).toEqual({
      owners: ['b:30002', 'a:30003'],
      duplicates: ['Service/ns/a 1 13'],
    });
    expect(built.state.ranges).toBe(ranges);
  });

  it.each([
    ['a prefix', objects.slice(0, 2)],
    ['equal copies of the objects', objects.map((o) => ({ ...o }))],
  ])('builds from the final list when it was fed %s', (_n, fed) => {
    const builder = new CheckStateBuilder();
    builder.add(fed);
    const built = builder.finish(objects, ranges);
    expect(summary(built)).toEqual(summary(buildCheckState(objects, ranges)));
    expect(built.duplicates[0]?.again).toBe(objects[3]);
  });
});
