/** The output formatters as pure functions of a report. */
import { describe, expect, it } from 'vitest';
import { wantsColor } from '../../src/cli/check-command.js';
import { formatReport } from '../../src/cli/format/index.js';
import { escapeXml, formatJunit } from '../../src/cli/format/junit.js';
import type { CheckReport, ReportedFinding } from '../../src/cli/format/report.js';
import { artifactUri, formatSarif } from '../../src/cli/format/sarif.js';
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
    summary: {
      objects: objects.length,
      checked: objects.length,
      findings: findings.length,
      deny: count('deny'),
      warn: count('warn'),
      info: count('info'),
      exempted: 0,
      denied: count('deny') > 0,
    },
    ...extra,
  };
}

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
    expect(xml).toContain('name="Service shop/a&lt;b&gt;&amp;&quot;c&apos; (line 3)"');
    expect(xml).toContain('<testsuite name="dir/with space&amp;.yaml" tests="1" failures="1"');
    expect(xml).toContain('<testsuite name="b.yaml" tests="1" failures="0"');
    expect(xml).toMatch(/<system-out>warn hostnetwork-port-in-ephemeral-range/);
  });

  it.each([
    ['ampersand', '&', '&amp;'],
    ['control character', 'a\u0000b\u001bc', 'abc'],
    ['tab and newline kept', 'a\tb\nc', 'a\tb\nc'],
    ['emoji kept', '🚀', '🚀'],
  ])('escapeXml: %s', (_n, input, out) => {
    expect(escapeXml(input)).toBe(out);
  });

  it('lists files without checked objects as empty suites', () => {
    const xml = formatJunit(report([], { files: ['empty.yaml'] }));
    expect(xml).toContain('<testsuite name="empty.yaml" tests="0" failures="0" errors="0" skipped="0"/>');
    expect(XMLValidator(xml)).toBe(true);
  });
});

describe('sarif', () => {
  it.each([
    ['deny', 'error'],
    ['warn', 'warning'],
    ['info', 'note'],
  ] as const)('maps %s to level %s', (severity, level) => {
    const sarif = JSON.parse(formatSarif(report([finding({ severity })])));
    expect(sarif.runs[0].results[0].level).toBe(level);
  });

  it.each([
    ['a/b.yaml', 'a/b.yaml'],
    ['dir/with space.yaml', 'dir/with%20space.yaml'],
    ['<stdin>', 'stdin'],
    ['/abs/x.yaml', 'file:///abs/x.yaml'],
  ])('artifact uri of %s', (file, uri) => {
    expect(artifactUri(file)).toBe(uri);
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
      /^a\.yaml:3 Service shop\/api\n {2}deny nodeport-in-ephemeral-range at spec\.ports\[0\]\.nodePort\n/,
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
    [true, {}, true],
    [true, { NO_COLOR: '1' }, false],
    [true, { NO_COLOR: '' }, true],
    [true, { TERM: 'dumb' }, false],
    [false, {}, false],
    [undefined, {}, false],
  ])('wantsColor(isTTY=%s, env=%j) = %s', (tty, env, want) => {
    expect(wantsColor(tty, env)).toBe(want);
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
      file: 'a.yaml',
      line: 3,
    });
    expect(out.summary).toMatchObject({ objects: 1, findings: 1, deny: 1, warn: 0, info: 0, denied: true });
  });
});
