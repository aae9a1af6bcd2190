/**
 * `portguard check` end to end: exit codes, stdin, formats and bad input. What check reports
 * runs in-process through runCheck (check-in-process.ts, the function the command's action
 * calls); the binary is spawned where the process is the subject: exit codes 0, 1 and 2,
 * stdin, usage errors, and colour decided from the environment and the TTY.
 */
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProgram } from '../../src/cli/program.js';
import { type CheckInput, checkInProcess } from './check-in-process.js';
import { ensureBuilt, mkTmp, runCli } from './run-cli.js';
import { XMLValidator } from './xml.js';

const RANGES = 'examples/node-ranges.yaml';
let tmp: string;

const BAD_SERVICE = `apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec:
  type: NodePort
  ports: [{port: 80, nodePort: 32582}]
`;
const GOOD_SERVICE = BAD_SERVICE.replace('32582', '30080').replace('name: api', 'name: ok');

beforeAll(async () => {
  await ensureBuilt();
  tmp = mkTmp('pg-cli-');
  writeFileSync(join(tmp, 'bad-svc.yaml'), BAD_SERVICE);
  writeFileSync(join(tmp, 'good-svc.yaml'), GOOD_SERVICE);
  writeFileSync(
    join(tmp, 'multi.yaml'),
    `${GOOD_SERVICE}---\n# comment\n${BAD_SERVICE.replace('name: api', 'name: second')}`,
  );
  writeFileSync(
    join(tmp, 'list.yaml'),
    [
      'apiVersion: v1',
      'kind: List',
      'items:',
      '  - apiVersion: v1',
      '    kind: Service',
      '    metadata: {name: one, namespace: a}',
      '    spec: {type: NodePort, ports: [{port: 80, nodePort: 30080}]}',
      '  - apiVersion: v1',
      '    kind: Service',
      '    metadata: {name: two, namespace: a}',
      '    spec: {type: NodePort, ports: [{port: 80, nodePort: 31111}]}',
    ].join('\n'),
  );
  writeFileSync(
    join(tmp, 'broken.yaml'),
    'apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n   bad: indent\n',
  );
  writeFileSync(
    join(tmp, 'bad-ranges.yaml'),
    `data:\n  node.worker-1: '{"ipLocalPortRange": "65535 1024"}'\n`,
  );
  writeFileSync(join(tmp, 'typo-policy.yaml'), 'exemption: []\nmode: enforced\n');
  writeFileSync(
    join(tmp, 'policy.yaml'),
    'exemptions:\n  - {namespaces: [shop], rules: [nodeport-in-ephemeral-range]}\n',
  );
  const bomb = [
    'kind: ConfigMap',
    'data:',
    '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ];
  for (let i = 1; i < 10; i++) {
    const p = String.fromCharCode(96 + i);
    const c = String.fromCharCode(97 + i);
    bomb.push(`  ${c}: &${c} [${Array(9).fill(`*${p}`).join(',')}]`);
  }
  writeFileSync(join(tmp, 'bomb.yaml'), `${bomb.join('\n')}\n`);
  writeFileSync(join(tmp, 'binary.yaml'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x00]));
  mkdirSync(join(tmp, 'loop/sub'), { recursive: true });
  writeFileSync(join(tmp, 'loop/sub/svc.yaml'), GOOD_SERVICE);
  symlinkSync(join(tmp, 'loop'), join(tmp, 'loop/sub/up'));
  // 40 MiB of valid-looking YAML: refused by size before it is parsed.
  const line = `# ${'x'.repeat(1021)}\n`;
  writeFileSync(join(tmp, 'huge.yaml'), line.repeat(40 * 1024));
}, 120_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('portguard check exit codes', () => {
  it('denies examples/ (the README command) and passes examples/good', async () => {
    const [all, good] = await Promise.all([
      runCli(['check', 'examples/', '--ranges', RANGES]),
      runCli(['check', 'examples/good', '--ranges', RANGES]),
    ]);
    expect(all.code, all.stderr).toBe(1);
    expect(all.stdout).toMatch(/examples\/bad\/seed-000-nodeport-32582\.yaml:\d+ Service shop\/api/);
    expect(all.stdout).not.toMatch(/examples\/good\/\S+ .*\n\s+deny/);
    expect(good.code, good.stdout + good.stderr).toBe(0);
  });

  it('every file in examples/bad is denied on its own', async () => {
    const res = await checkInProcess({ paths: ['examples/'], ranges: RANGES, output: 'json' });
    const report = JSON.parse(res.stdout) as { findings: { file: string; severity: string }[] };
    const denied = new Set(report.findings.filter((f) => f.severity === 'deny').map((f) => f.file));
    expect([...denied].sort()).toEqual([
      'examples/bad/seed-000-hostnetwork-init-sysctl.yaml',
      'examples/bad/seed-000-nodeport-32582.yaml',
      'examples/bad/seed-001-tw-recycle-cronjob.yaml',
      'examples/bad/seed-002-hostnetwork-vs-nodeport.yaml',
      'examples/bad/seed-004-forwarding-off.yaml',
    ]);
  });

  it.each<[string, CheckInput, number]>([
    ['a clean file', { paths: ['good-svc.yaml'] }, 0],
    ['a denied file', { paths: ['bad-svc.yaml'] }, 1],
    ['a denied file in warn mode', { paths: ['bad-svc.yaml'], mode: 'warn' }, 0],
    ['a denied file exempted by the policy file', { paths: ['bad-svc.yaml'], config: 'policy.yaml' }, 0],
  ])('%s', async (_n, opts, code) => {
    const res = await checkInProcess({ ranges: join(process.cwd(), RANGES), ...opts }, { cwd: tmp });
    expect(res.code, res.stderr).toBe(code);
  });

  it('reports deny findings in warn mode but exits 0', async () => {
    const res = await checkInProcess(
      { paths: ['bad-svc.yaml'], ranges: join(process.cwd(), RANGES), mode: 'warn', output: 'json' },
      { cwd: tmp },
    );
    const report = JSON.parse(res.stdout);
    expect(res.code).toBe(0);
    expect(report.summary).toMatchObject({ deny: 1, denied: false, mode: 'warn' });
  });

  it('says so on stderr when no --ranges is given, and keeps stdout machine-readable', async () => {
    const res = await checkInProcess({ paths: ['good-svc.yaml'], output: 'json' }, { cwd: tmp });
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/no --ranges or --kubeconfig given; using built-in defaults/);
    expect(JSON.parse(res.stdout).summary.objects).toBe(1);
  });
});

describe('portguard check input forms', () => {
  it('reads - from stdin (helm template . | portguard check -)', async () => {
    const res = await runCli(['check', '-', '--ranges', RANGES, '--output', 'json'], { stdin: BAD_SERVICE });
    expect(res.code).toBe(1);
    const [f] = JSON.parse(res.stdout).findings;
    expect(f).toMatchObject({ file: '<stdin>', line: 6, rule: 'nodeport-in-ephemeral-range', name: 'api' });
  });

  it('keeps the lines of each document in a multi-document file (a finding is on its key line)', async () => {
    const res = await checkInProcess(
      { paths: ['multi.yaml'], ranges: join(process.cwd(), RANGES), output: 'json' },
      { cwd: tmp },
    );
    const report = JSON.parse(res.stdout);
    expect(res.code).toBe(1);
    expect(report.summary).toMatchObject({ objects: 2, checked: 2 });
    expect(
      report.findings.map((f: { name: string; file: string; line: number }) => [f.name, f.file, f.line]),
    ).toEqual([['second', 'multi.yaml', 14]]);
  });

  it('expands kind: List items with their own lines', async () => {
    const res = await checkInProcess(
      { paths: ['list.yaml'], ranges: join(process.cwd(), RANGES), output: 'json' },
      { cwd: tmp },
    );
    const report = JSON.parse(res.stdout);
    expect(report.summary.objects).toBe(2);
    expect(report.findings.map((f: { name: string; line: number }) => [f.name, f.line])).toEqual([
      ['two', 11],
    ]);
  });

  /** examples/node-ranges.yaml as `kubectl get cm -n portguard-system -o yaml` prints it: a List. */
  const kubectlList = (ranges: string) =>
    [
      'apiVersion: v1',
      'kind: List',
      'items:',
      '- {apiVersion: v1, kind: ConfigMap, metadata: {name: kube-root-ca.crt, namespace: portguard-system}, data: {ca.crt: x}}',
      ...ranges.split('\n').map((l, i) => (i === 0 ? `- ${l}` : `  ${l}`)),
      'metadata: {resourceVersion: ""}',
    ].join('\n');

  it('reads --ranges - from stdin (kubectl get cm -o yaml | portguard check --ranges - ...)', async () => {
    const ranges = readFileSync(RANGES, 'utf8').replace(/^#.*\n/gm, '');
    const res = await checkInProcess(
      { paths: [join(tmp, 'bad-svc.yaml')], ranges: '-', output: 'json' },
      { stdin: kubectlList(ranges) },
    );
    expect(res.code, res.stderr).toBe(1);
    expect(res.stderr).toBe('');
    expect(JSON.parse(res.stdout).findings[0]).toMatchObject({
      rule: 'nodeport-in-ephemeral-range',
      name: 'api',
    });
  });

  it('warns on stderr about a misspelt field in a node entry read from stdin, and still runs', async () => {
    const ranges = `data:\n  node.worker-1: '{"ipLocalPortRnage": "1024 65535"}'\n`;
    const res = await checkInProcess(
      { paths: [join(tmp, 'bad-svc.yaml')], ranges: '-', output: 'json' },
      { stdin: ranges },
    );
    // The typo leaves worker-1 on the kernel default (32768 60999), which 32582 is below: the
    // check passes, which is why the typo must be said.
    expect(res.code).toBe(0);
    expect(res.stderr).toBe(
      'portguard check: warning: <stdin>: key "node.worker-1": unknown field "ipLocalPortRnage" is ignored; ' +
        'did you mean "ipLocalPortRange"?\n',
    );
    expect(JSON.parse(res.stdout).summary.objects).toBe(1);
  });

  it('finds collisions across files in both directions', async () => {
    const res = await checkInProcess({
      paths: ['examples/bad/seed-002-hostnetwork-vs-nodeport.yaml'],
      ranges: RANGES,
      output: 'json',
    });
    const collisions = JSON.parse(res.stdout).findings.filter(
      (f: { rule: string }) => f.rule === 'nodeport-hostport-collision',
    );
    expect(collisions.map((f: { kind: string }) => f.kind).sort()).toEqual(['DaemonSet', 'Service']);
  });
});

describe('portguard check bad input (exit 2)', () => {
  it('the binary exits 2 and names file, line and column of invalid YAML', async () => {
    const res = await runCli(['check', 'broken.yaml'], { cwd: tmp });
    // Bad input is a line of the (text) report on stdout.
    expect(res.stdout + res.stderr).toMatch(/broken\.yaml:4:\d+: invalid YAML/);
    expect(res.code).toBe(2);
  });

  it.each([
    ['a missing file', ['nope.yaml'], /nope\.yaml: no such file or directory/],
    ['an alias bomb', ['bomb.yaml'], /bomb\.yaml:1: cannot expand YAML aliases/],
    ['a binary file', ['binary.yaml'], /binary\.yaml:1: binary file/],
    ['a symlink loop', ['loop'], /loop\/sub\/up: symlink loop/],
    ['a 40 MiB file', ['huge.yaml'], /huge\.yaml: file is 41943040 bytes, over the 33554432-byte limit/],
    ['no paths at all', [], /no input/],
  ])('%s', async (_n, paths, re) => {
    const res = await checkInProcess({ paths }, { cwd: tmp });
    expect(res.stdout + res.stderr).toMatch(re);
    expect(res.code).toBe(2);
  });

  it.each([
    ['an unknown --output', ['good-svc.yaml', '--output', 'xml'], /--output <format>.*Allowed choices/s],
    ['an unknown --mode', ['good-svc.yaml', '--mode', 'audit'], /Allowed choices are enforce, warn/],
  ])('%s (a usage error, from the program in-process)', async (_n, args, re) => {
    let out = '';
    const code = await runProgram(['check', ...args], {
      stdout: (s) => {
        out += s;
      },
      stderr: (s) => {
        out += s;
      },
    });
    expect(out).toMatch(re);
    expect(code).toBe(2);
  });

  it.each([
    [
      'a missing ranges file',
      { paths: ['good-svc.yaml'], ranges: 'none.yaml' },
      /none\.yaml: cannot read ranges file/,
    ],
    [
      'a bad policy file',
      { paths: ['good-svc.yaml'], config: 'bad-ranges.yaml' },
      /bad-ranges\.yaml: invalid policy/,
    ],
    [
      'stdin for both --ranges and the manifests',
      { paths: ['-'], ranges: '-' },
      /stdin can feed either --ranges - or the manifests \(-\), not both/,
    ],
    [
      'stdin without the ranges ConfigMap',
      { paths: ['good-svc.yaml'], ranges: '-' },
      /<stdin>: stdin is empty; expected the node-ranges ConfigMap/,
    ],
    [
      'a policy with typos, one line per problem',
      { paths: ['good-svc.yaml'], config: 'typo-policy.yaml' },
      new RegExp(
        [
          'typo-policy\\.yaml: invalid policy: unknown key "exemption" at /; did you mean "exemptions"\\?',
          'typo-policy\\.yaml: invalid policy: /mode must be one of enforce, warn, audit \\(got "enforced"\\)',
        ].join('.*\\n.*'),
      ),
    ],
  ])('%s', async (_n, opts, re) => {
    const res = await checkInProcess(opts, { cwd: tmp });
    expect(res.stdout + res.stderr).toMatch(re);
    expect(res.code).toBe(2);
  });

  it('names the bad ranges key with the parser message', async () => {
    const res = await checkInProcess({ paths: ['good-svc.yaml'], ranges: 'bad-ranges.yaml' }, { cwd: tmp });
    expect(res.code).toBe(2);
    expect(res.stdout).toContain(
      'error bad-ranges.yaml: key "node.worker-1": ipLocalPortRange: low port 65535 is greater than high port 1024',
    );
  });

  it('checks the good files around bad ones and writes complete SARIF, then exits 2', async () => {
    const res = await checkInProcess(
      {
        paths: ['bad-svc.yaml', 'broken.yaml', 'nope.yaml'],
        ranges: join(process.cwd(), RANGES),
        output: 'sarif',
      },
      { cwd: tmp },
    );
    expect(res.code).toBe(2);
    const run = JSON.parse(res.stdout).runs[0];
    expect(run.results.map((r: { ruleId: string }) => r.ruleId)).toEqual(['nodeport-in-ephemeral-range']);
    expect(run.invocations[0].executionSuccessful).toBe(false);
    expect(
      run.invocations[0].toolExecutionNotifications.map(
        (n: { locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }) =>
          n.locations[0]?.physicalLocation.artifactLocation.uri,
      ),
    ).toEqual(['nope.yaml', 'broken.yaml']);
    // stdout goes to the upload step; the log still says why the run failed.
    expect(res.stderr).toMatch(/broken\.yaml:4: invalid YAML/);
  });
});

describe('portguard check output formats', () => {
  const bad = ['check', 'examples/bad', '--ranges', RANGES];
  const badOpts = { paths: ['examples/bad'], ranges: RANGES };

  it('json has the documented finding fields and summary', async () => {
    const res = await checkInProcess({ ...badOpts, output: 'json' });
    const report = JSON.parse(res.stdout);
    expect(Object.keys(report.findings[0]).sort()).toEqual(
      [
        'column',
        'file',
        'kind',
        'line',
        'message',
        'name',
        'namespace',
        'nodeCount',
        'nodes',
        'path',
        'ports',
        'rule',
        'severity',
      ].sort(),
    );
    expect(report.summary).toMatchObject({ denied: true });
    expect(report.summary.findings).toBe(report.findings.length);
    expect(report.summary.deny + report.summary.warn + report.summary.info).toBe(report.findings.length);
  });

  it('sarif is 2.1.0 with rules, levels and locations', async () => {
    const res = await checkInProcess({ ...badOpts, output: 'sarif' });
    expect(res.code).toBe(1);
    const sarif = JSON.parse(res.stdout);
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.$schema).toMatch(/sarif-2\.1\.0/);
    const run = sarif.runs[0];
    const ruleIds = run.tool.driver.rules.map((r: { id: string }) => r.id);
    expect(ruleIds).toEqual(expect.arrayContaining(['nodeport-in-ephemeral-range', 'hazardous-node-sysctl']));
    for (const r of run.tool.driver.rules) expect(r.help.text.length).toBeGreaterThan(20);
    expect(run.results.length).toBeGreaterThan(0);
    // Each result is at the key it is about: the nodePort, the script line that widens the range.
    const at = (file: string, rule: string) =>
      run.results.find(
        (r: { ruleId: string; locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }) =>
          r.ruleId === rule &&
          r.locations[0]!.physicalLocation.artifactLocation.uri === `examples/bad/${file}`,
      )?.locations[0].physicalLocation;
    expect(at('seed-000-nodeport-32582.yaml', 'nodeport-in-ephemeral-range')).toEqual({
      artifactLocation: { uri: 'examples/bad/seed-000-nodeport-32582.yaml', uriBaseId: '%SRCROOT%' },
      region: { startLine: 16, startColumn: 7 },
    });
    expect(at('seed-000-hostnetwork-init-sysctl.yaml', 'port-range-overlaps-nodeports').region).toEqual({
      startLine: 20,
      startColumn: 11,
    });
    expect(run.originalUriBaseIds['%SRCROOT%'].uri).toMatch(/^file:\/\/\/.*\/$/);
    for (const r of run.results) {
      expect(ruleIds[r.ruleIndex]).toBe(r.ruleId);
      expect(['error', 'warning', 'note']).toContain(r.level);
      expect(r.message.text).not.toBe('');
      const loc = r.locations[0].physicalLocation;
      expect(loc.artifactLocation.uri).toMatch(/^examples\/bad\/[\w.-]+\.yaml$/);
      expect(loc.region.startLine).toBeGreaterThanOrEqual(1);
    }
  });

  it('junit is well-formed XML with a failure per denied object', async () => {
    const res = await checkInProcess({ ...badOpts, output: 'junit' });
    expect(XMLValidator(res.stdout)).toBe(true);
    expect(res.stdout).toMatch(
      /<testsuite name="examples\/bad\/seed-000-nodeport-32582\.yaml" tests="1" failures="1"/,
    );
    expect(res.stdout).toMatch(/<failure type="nodeport-in-ephemeral-range"/);
  });

  it('text escapes what the manifest controls, and FORCE_COLOR colours it into a pipe', async () => {
    writeFileSync(join(tmp, 'evil.yaml'), BAD_SERVICE.replace('name: api', 'name: "\\e[32mevil\\e[0m"'));
    const res = await runCli(['check', 'evil.yaml', '--ranges', join(process.cwd(), RANGES)], {
      cwd: tmp,
      env: { FORCE_COLOR: '1' },
    });
    expect(res.code).toBe(1);
    expect(res.stdout).toContain('\u001b[31mdeny\u001b[0m');
    expect(res.stdout).toContain('Service shop/\\x1b[32mevil\\x1b[0m');
    expect(res.stdout).not.toContain('\u001b[32m');
  });

  it('text groups findings under file:line Kind ns/name and ends with a summary; no colour off a TTY', async () => {
    const res = await runCli([...bad], { env: { NO_COLOR: '' } });
    expect(res.stdout).toMatch(
      /^examples\/bad\/seed-000-hostnetwork-init-sysctl\.yaml:\d+ Pod shop\/tuner\n {2}deny/m,
    );
    expect(res.stdout).toMatch(/objects checked: \d+ finding\(s\) .* denied\n$/);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for ANSI escapes.
    expect(res.stdout).not.toMatch(/\u001b\[/);
  });
});
