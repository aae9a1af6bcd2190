/** The output formatters as pure functions of a report. */
import { describe, expect, it } from 'vitest';
import { wantsColor } from '../../src/cli/check-command.js';
import { formatReport } from '../../src/cli/format/index.js';
import { escapeXml, formatJunit } from '../../src/cli/format/junit.js';
import type { CheckReport, ReportedFinding } from '../../src/cli/format/report.js';
import { artifactLocation, formatSarif } from '../../src/cli/format/sarif.js';
import { formatText } from '../../src/cli/format/text.js';
import { XMLValidator } from './xml.js';

function finding(over: Partial<ReportedFinding>): ReportedFinding {
  return {
    rule: 'nodeport-in-ephemeral-range',
    severity: 'deny',
    kind: 'Service',
    namespace: 'shop',
    name: 'api',
    path: 'spec.ports[0].nodePort',
    nodes: ['worker-1'],
    nodeCount: 1,
    message: 'nodePort 32582 is inside the ephemeral range',
    file: 'a.yaml',
    line: 3,
    ...over,
  };
}

function report(findings: ReportedFinding[], extra: Partial<CheckReport> = {}): CheckReport {
  const objects = [...new Map(findings.map((f) => [`${f.file}:${f.line}`, f])).values()].map((f) => ({
    file: f.file,
    line: f.line,
    kind: f.kind,
    namespace: f.namespace,
    name: f.name,
    findings: findings.filter((x) => x.file === f.file && x.line === f.line),
  }));
  const count = (s: string) => findings.filter((f) => f.severity === s).length;
  return {
    mode: 'enforce',
    files: [...new Set(findings.map((f) => f.file))],
    objects,
    findings,
    errors: [],
    summary: {
      objects: objects.length,
      checked: objects.length,
      findings: findings.length,
      deny: count('deny'),
      warn: count('warn'),
      info: count('info'),
      exempted: 0,
      denied: count('deny') > 0,
      errors: extra.errors?.length ?? 0,
    },
    ...extra,
  };
}

/** Two files that could not be read: one with a line and column, one without. */
const ERRORS: CheckReport['errors'] = [
  { file: 'broken.yaml', line: 4, column: 3, message: 'invalid YAML: bad indentation' },
  { file: 'gone.yaml', message: 'no such file or directory' },
];

const hostile = finding({
  name: 'a<b>&"c\'',
  message: 'bad \u0001 control and lone \uD800 surrogate & <tag>',
  file: 'dir/with space&.yaml',
});

describe('junit', () => {
  it('escapes names, messages and file names and stays well-formed', () => {
    const xml = formatJunit(
      report([
        hostile,
        finding({ severity: 'warn', rule: 'hostnetwork-port-in-ephemeral-range', file: 'b.yaml' }),
      ]),
    );
    expect(XMLValidator(xml)).toBe(true);
    expect(xml).toContain('name="Service shop/a&lt;b&gt;&amp;&quot;c&apos;"');
    expect(xml).toContain('<testsuite name="dir/with space&amp;.yaml" tests="1" failures="1"');
    expect(xml).toContain('<testsuite name="b.yaml" tests="1" failures="0"');
    expect(xml).toMatch(/<system-out>b\.yaml:3 warn hostnetwork-port-in-ephemeral-range/);
  });

  it.each([
    ['ampersand', '&', '&amp;'],
    ['control character', 'a\u0000b\u001bc', 'abc'],
    ['tab and newline kept', 'a\tb\nc', 'a\tb\nc'],
    ['emoji kept', '🚀', '🚀'],
  ])('escapeXml: %s', (_n, input, out) => {
    expect(escapeXml(input)).toBe(out);
  });

  it('gives an object with several deny findings one failure listing them, and counts match the elements', () => {
    const two = [
      finding({ line: 7, column: 7 }),
      finding({ rule: 'nodeport-hostport-collision', path: 'spec.ports[1].nodePort', line: 9, column: 9 }),
      finding({ severity: 'warn', rule: 'hostnetwork-port-in-ephemeral-range', line: 5 }),
    ].map((f) => ({ ...f, file: 'a.yaml' }));
    const r = report(two);
    // One object: the three findings share it.
    r.objects = [{ ...r.objects[0]!, findings: two }];
    const xml = formatJunit({
      ...r,
      objects: [...r.objects, { ...r.objects[0]!, name: 'other', findings: [] }],
    });
    expect(XMLValidator(xml)).toBe(true);
    const failures = xml.match(/<failure [^>]*>[^<]*<\/failure>/g) ?? [];
    expect(failures).toEqual([
      '<failure type="nodeport-in-ephemeral-range nodeport-hostport-collision" ' +
        'message="2 deny findings: nodeport-in-ephemeral-range, nodeport-hostport-collision">' +
        'a.yaml:7:7 nodeport-in-ephemeral-range at spec.ports[0].nodePort: nodePort 32582 is inside the ephemeral range\n' +
        'a.yaml:9:9 nodeport-hostport-collision at spec.ports[1].nodePort: nodePort 32582 is inside the ephemeral range</failure>',
    ]);
    // Every count attribute is the number of elements it counts.
    for (const suite of xml.split('<testsuite ').slice(1)) {
      const attr = (name: string) => Number(new RegExp(`${name}="(\\d+)"`).exec(suite)?.[1]);
      expect(attr('tests')).toBe(suite.match(/<testcase /g)?.length ?? 0);
      expect(attr('failures')).toBe(suite.match(/<failure /g)?.length ?? 0);
      expect(attr('errors')).toBe(suite.match(/<error /g)?.length ?? 0);
    }
    expect(xml).toContain('<testsuites name="portguard check" tests="2" failures="1" errors="0">');
    expect(xml).toContain('<system-out>a.yaml:5 warn hostnetwork-port-in-ephemeral-range');
  });

  it('names a test after its object, adding the line only when a file defines it twice', () => {
    const r = report([finding({ line: 3 }), finding({ line: 9 }), finding({ name: 'b', line: 12 })]);
    const names = [...formatJunit(r).matchAll(/<testcase [^>]*name="([^"]*)"/g)].map((m) => m[1]);
    expect(names).toEqual(['Service shop/api (line 3)', 'Service shop/api (line 9)', 'Service shop/b']);
  });

  it('writes no suite for a file without checked objects', () => {
    const xml = formatJunit(report([], { files: ['empty.yaml'] }));
    expect(xml).not.toContain('<testsuite ');
    expect(xml).toContain('<testsuites name="portguard check" tests="0" failures="0" errors="0">');
    expect(XMLValidator(xml)).toBe(true);
  });

  it('gives a file that could not be read a testcase with one error, counted', () => {
    const xml = formatJunit(report([finding({})], { errors: ERRORS }));
    expect(XMLValidator(xml)).toBe(true);
    expect(xml).toContain('<testsuites name="portguard check" tests="3" failures="1" errors="2">');
    expect(xml).toContain(
      '<testsuite name="broken.yaml" tests="1" failures="0" errors="1" skipped="0">\n' +
        '    <testcase classname="broken.yaml" name="broken.yaml">\n' +
        '      <error type="input" message="invalid YAML: bad indentation">broken.yaml:4:3: invalid YAML: bad indentation</error>',
    );
    expect(xml).toContain('<error type="input" message="no such file or directory">gone.yaml: no such file');
  });
});

describe('sarif', () => {
  it.each([
    ['nodeport-in-ephemeral-range', true],
    ['namespace-mode-label', false],
  ] as const)(
    'rule %s: ruleIndex points at it, or is left out when the driver does not list it',
    (rule, listed) => {
      const run = JSON.parse(formatSarif(report([finding({ rule })]))).runs[0];
      const result = run.results[0];
      if (listed) expect(run.tool.driver.rules[result.ruleIndex].id).toBe(rule);
      else expect(result).not.toHaveProperty('ruleIndex');
      expect(result.ruleId).toBe(rule);
    },
  );

  it.each([
    ['deny', 'error'],
    ['warn', 'warning'],
    ['info', 'note'],
  ] as const)('maps %s to level %s', (severity, level) => {
    const sarif = JSON.parse(formatSarif(report([finding({ severity })])));
    expect(sarif.runs[0].results[0].level).toBe(level);
  });

  it.each([
    ['a/b.yaml', '/repo', { uri: 'a/b.yaml', uriBaseId: '%SRCROOT%' }],
    ['dir/with space.yaml', '/repo', { uri: 'dir/with%20space.yaml', uriBaseId: '%SRCROOT%' }],
    ['<stdin>', '/repo', { uri: 'stdin' }],
    ['/abs/x.yaml', '/repo', { uri: 'file:///abs/x.yaml' }],
    ['/repo/k8s/x.yaml', '/repo', { uri: 'k8s/x.yaml', uriBaseId: '%SRCROOT%' }],
    // Run from a subdirectory with --base-dir at the repository root.
    ['x.yaml', '/repo', { uri: 'k8s/x.yaml', uriBaseId: '%SRCROOT%' }, '/repo/k8s'],
    ['../x.yaml', '/repo/k8s', { uri: 'file:///repo/x.yaml' }, '/repo/k8s'],
  ])('artifact location of %s under %s', (file, baseDir, location, cwd = baseDir) => {
    expect(artifactLocation(file, cwd, baseDir)).toEqual(location);
  });

  it('names the base directory and reports unreadable inputs as notifications', () => {
    const sarif = JSON.parse(
      formatSarif(report([finding({ column: 7 })], { errors: ERRORS }), { cwd: '/repo', baseDir: '/repo' }),
    );
    const run = sarif.runs[0];
    expect(run.originalUriBaseIds).toEqual({ '%SRCROOT%': { uri: 'file:///repo/' } });
    expect(run.results[0].locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: 'a.yaml', uriBaseId: '%SRCROOT%' },
      region: { startLine: 3, startColumn: 7 },
    });
    expect(run.invocations).toEqual([
      {
        executionSuccessful: false,
        toolExecutionNotifications: [
          {
            level: 'error',
            message: { text: 'invalid YAML: bad indentation' },
            locations: [
              {
                physicalLocation: {
                  artifactLocation: { uri: 'broken.yaml', uriBaseId: '%SRCROOT%' },
                  region: { startLine: 4, startColumn: 3 },
                },
              },
            ],
          },
          {
            level: 'error',
            message: { text: 'no such file or directory' },
            locations: [
              { physicalLocation: { artifactLocation: { uri: 'gone.yaml', uriBaseId: '%SRCROOT%' } } },
            ],
          },
        ],
      },
    ]);
  });

  it('says the run succeeded when every input was read', () => {
    const sarif = JSON.parse(formatSarif(report([finding({})])));
    expect(sarif.runs[0].invocations).toEqual([
      { executionSuccessful: true, toolExecutionNotifications: [] },
    ]);
  });

  it('fingerprints name the file, the object, the rule and the path, and tell apart equal ones', () => {
    const twice = finding({ rule: 'hazardous-node-sysctl', path: 'spec.containers[0].command' });
    const sarif = JSON.parse(
      formatSarif(
        report([
          finding({}),
          finding({ path: 'spec.ports[1].nodePort' }),
          twice,
          twice,
          { ...twice, file: 'b.yaml' },
        ]),
        { cwd: '/repo' },
      ),
    );
    const prints = sarif.runs[0].results.map(
      (r: { partialFingerprints: Record<string, string> }) => Object.values(r.partialFingerprints)[0],
    );
    expect(prints).toEqual([
      'nodeport-in-ephemeral-range|a.yaml|Service/shop/api|spec.ports[0].nodePort',
      'nodeport-in-ephemeral-range|a.yaml|Service/shop/api|spec.ports[1].nodePort',
      'hazardous-node-sysctl|a.yaml|Service/shop/api|spec.containers[0].command',
      'hazardous-node-sysctl|a.yaml|Service/shop/api|spec.containers[0].command|1',
      'hazardous-node-sysctl|b.yaml|Service/shop/api|spec.containers[0].command',
    ]);
  });
});

describe('text', () => {
  it('groups by object and colours only when asked', () => {
    const r = report([
      finding({}),
      finding({ severity: 'warn', path: 'spec.healthCheckNodePort', nodes: ['*'] }),
    ]);
    const plain = formatText(r, false);
    expect(plain).toMatch(
      /^a\.yaml:3 Service shop\/api\n {2}deny nodeport-in-ephemeral-range at spec\.ports\[0\]\.nodePort \(a\.yaml:3\)\n/,
    );
    expect(plain).toContain('nodes: * (nodes on the default profile)');
    expect(plain).toMatch(/1 of 1 objects checked: 2 finding\(s\) \(1 deny, 1 warn, 0 info\) — denied\n$/);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes.
    expect(plain).not.toMatch(/\u001b/);
    expect(formatText(r, true)).toContain('\u001b[31mdeny\u001b[0m');
  });

  it('says when warn mode lets deny findings pass', () => {
    const r = report([finding({})], { mode: 'warn' });
    r.summary.denied = false;
    expect(formatReport('text', r, { color: false })).toContain(
      'passed (warn mode: deny findings do not fail)',
    );
  });

  it.each([
    [true, { TERM: 'xterm-256color' }, true],
    [true, { TERM: 'xterm-256color', NO_COLOR: '1' }, false],
    [true, { TERM: 'xterm-256color', NO_COLOR: '' }, true],
    [true, { TERM: 'xterm-256color', NODE_DISABLE_COLORS: '1' }, false],
    [true, { TERM: 'dumb' }, false],
    [true, {}, false],
    [false, { TERM: 'xterm-256color' }, false],
    [undefined, {}, false],
    // FORCE_COLOR wins over the TTY and NO_COLOR, as in util.styleText.
    [false, { FORCE_COLOR: '1' }, true],
    [false, { FORCE_COLOR: '' }, true],
    [false, { FORCE_COLOR: 'true' }, true],
    [false, { FORCE_COLOR: '3' }, true],
    [false, { FORCE_COLOR: '1', NO_COLOR: '1' }, true],
    [true, { TERM: 'xterm-256color', FORCE_COLOR: '0' }, false],
    [true, { TERM: 'xterm-256color', FORCE_COLOR: 'false' }, false],
  ])('wantsColor(isTTY=%s, env=%j) = %s', (tty, env, want) => {
    expect(wantsColor(tty, env)).toBe(want);
  });

  const evil = finding({
    name: '\u001b[31mevil\u001b[0m',
    namespace: 'ns\u202ex',
    path: 'metadata.annotations.a\u0007b',
    message: 'bad\nline\u009b2J and \ttab',
    nodes: ['node\u001b]0;title\u0007'],
    file: 'dir/\u001bx.yaml',
  });

  it('escapes control characters and ANSI sequences from the input', () => {
    const plain = formatText(report([evil]), false);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for raw control characters.
    expect(plain).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(plain).toContain('dir/\\x1bx.yaml:3 Service ns\\u202ex/\\x1b[31mevil\\x1b[0m');
    expect(plain).toContain('at metadata.annotations.a\\x07b');
    expect(plain).toContain('bad\\nline\\x9b2J and \\ttab');
    expect(plain).toContain('nodes: node\\x1b]0;title\\x07');
    // With colour on, the only escape sequences are portguard's own.
    const colored = formatText(report([evil]), true);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes.
    const own = colored.replace(/\u001b\[(?:0|1|2|31|32|33|36)m/g, '');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for raw control characters.
    expect(own).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  });

  it('wraps messages, node lists and errors at the terminal width, and nothing without one', () => {
    const long = finding({
      message: `${'word '.repeat(30)}end`,
      nodes: Array.from({ length: 12 }, (_, i) => `worker-${i}`),
      nodeCount: 12,
    });
    const r = report([long], { errors: [{ file: 'b.yaml', message: 'x '.repeat(60) }] });
    const wrapped = formatText(r, { color: false, columns: 50 }).split('\n');
    const body = wrapped.filter((l) => /^ {7}|^error|^ {6}x/.test(l));
    expect(body.length).toBeGreaterThan(6);
    for (const l of body) expect(l.length).toBeLessThanOrEqual(50);
    expect(wrapped).toContain('       word word word word word word word word');
    expect(wrapped.find((l) => l.startsWith('       nodes: worker-0, worker-1'))).toBeDefined();
    expect(wrapped.filter((l) => l.startsWith('         worker-')).length).toBeGreaterThan(0);
    // Finding lines stay whole, so file:line:column can be clicked or grepped.
    expect(wrapped).toContain('  deny nodeport-in-ephemeral-range at spec.ports[0].nodePort (a.yaml:3)');
    const unwrapped = formatText(r, { color: false }).split('\n');
    expect(unwrapped).toContain(`       ${'word '.repeat(30)}end`);
    // A very narrow terminal still gets lines of a few words.
    const narrow = formatText(r, { color: false, columns: 10 }).split('\n');
    expect(narrow).toContain('       word word word word word word');
  });
});

describe('input errors', () => {
  it('text has a line per error and says so in the summary', () => {
    const text = formatText(report([finding({})], { errors: ERRORS }), false);
    expect(text).toContain(
      'error broken.yaml:4:3: invalid YAML: bad indentation\nerror gone.yaml: no such file',
    );
    expect(text).toMatch(/— 2 input error\(s\)\n$/);
  });

  it('json lists them with what is known of their place', () => {
    const out = JSON.parse(formatReport('json', report([], { errors: ERRORS }), { color: false }));
    expect(out.errors).toEqual([
      { file: 'broken.yaml', line: 4, column: 3, message: 'invalid YAML: bad indentation' },
      { file: 'gone.yaml', message: 'no such file or directory' },
    ]);
    expect(out.summary.errors).toBe(2);
  });
});

describe('json', () => {
  it('projects findings onto the contract fields', () => {
    const out = JSON.parse(
      formatReport('json', report([finding({ ports: [1], preexisting: true })]), { color: false }),
    );
    expect(out.findings[0]).toEqual({
      rule: 'nodeport-in-ephemeral-range',
      severity: 'deny',
      kind: 'Service',
      namespace: 'shop',
      name: 'api',
      path: 'spec.ports[0].nodePort',
      message: 'nodePort 32582 is inside the ephemeral range',
      nodes: ['worker-1'],
      nodeCount: 1,
      ports: [1],
      file: 'a.yaml',
      line: 3,
    });
    expect(Object.keys(out.findings[0])).toEqual([
      'rule',
      'severity',
      'kind',
      'namespace',
      'name',
      'path',
      'message',
      'nodes',
      'nodeCount',
      'ports',
      'file',
      'line',
    ]);
    expect(out.summary).toMatchObject({ objects: 1, findings: 1, deny: 1, warn: 0, info: 0, denied: true });
  });
});
