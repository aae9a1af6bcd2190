/**
 * `--output junit`: JUnit XML for CI dashboards (GitLab's test report, Jenkins' junit step).
 * One testsuite per manifest file with checked objects, one testcase per checked object.
 * An object with deny findings has exactly one `<failure>` listing them all (also in warn
 * mode, where the exit code is still 0: the dashboard shows what enforce mode would block);
 * warn and info findings go to its `<system-out>`. One testcase per object rather than per
 * finding: JUnit allows one failure per testcase, GitLab and Jenkins show that failure's
 * message and body, and a test named after the object keeps its history when its findings
 * change. A file that could not be read is a testsuite with one testcase holding an
 * `<error>`. Counts on each element are those of the elements it holds; no suite is empty.
 */
import { type CheckedObject, type CheckReport, type InputError, qualifiedName, where } from './report.js';

/** XML 1.0 forbids most control characters even when escaped, and lone surrogates. */
function xmlSafe(s: string): string {
  let out = '';
  for (const ch of s) {
    // Iterating a string yields whole code points; a lone surrogate comes out alone.
    const c = ch.codePointAt(0)!;
    const ok =
      c >= 0x20
        ? c !== 0xfffe && c !== 0xffff && (c < 0xd800 || c > 0xdfff)
        : c === 0x09 || c === 0x0a || c === 0x0d;
    if (ok) out += ch;
  }
  return out;
}

/** Escapes text for both element content and double- or single-quoted attributes. */
export function escapeXml(s: string): string {
  return xmlSafe(s)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Counts of one suite or of the whole document. */
interface Counts {
  tests: number;
  failures: number;
  errors: number;
}

interface Suite extends Counts {
  name: string;
  cases: string[];
}

function failure(obj: CheckedObject): string | undefined {
  const deny = obj.findings.filter((f) => f.severity === 'deny');
  if (deny.length === 0) return undefined;
  const message =
    deny.length === 1
      ? deny[0]!.message
      : `${deny.length} deny findings: ${deny.map((f) => f.rule).join(', ')}`;
  const type = [...new Set(deny.map((f) => f.rule))].join(' ');
  const body = deny.map((f) => `${where(f)} ${f.rule} at ${f.path}: ${f.message}`).join('\n');
  return `      <failure type="${escapeXml(type)}" message="${escapeXml(message)}">${escapeXml(body)}</failure>`;
}

function testcase(obj: CheckedObject, name: string): string {
  const open = `    <testcase classname="${escapeXml(obj.file)}" name="${escapeXml(name)}"`;
  const fail = failure(obj);
  const rest = obj.findings.filter((x) => x.severity !== 'deny');
  if (!fail && rest.length === 0) return `${open}/>`;
  const parts: string[] = [`${open}>`];
  if (fail) parts.push(fail);
  if (rest.length > 0) {
    const text = rest.map((f) => `${where(f)} ${f.severity} ${f.rule} at ${f.path}: ${f.message}`).join('\n');
    parts.push(`      <system-out>${escapeXml(text)}</system-out>`);
  }
  parts.push('    </testcase>');
  return parts.join('\n');
}

/** Test names are `Kind ns/name`, with the line only where one file defines the object twice. */
function objectSuite(file: string, objs: CheckedObject[]): Suite {
  const name = (o: CheckedObject) => `${o.kind} ${qualifiedName(o)}`;
  const count = new Map<string, number>();
  for (const o of objs) count.set(name(o), (count.get(name(o)) ?? 0) + 1);
  return {
    name: file,
    tests: objs.length,
    failures: objs.filter((o) => o.findings.some((f) => f.severity === 'deny')).length,
    errors: 0,
    cases: objs.map((o) => testcase(o, count.get(name(o))! > 1 ? `${name(o)} (line ${o.line})` : name(o))),
  };
}

/** A file that could not be read (or the cluster, which has no file): one testcase, one error. */
function errorSuite(file: string | undefined, errors: InputError[]): Suite {
  const name = file ?? 'cluster node data';
  const message = errors.length === 1 ? errors[0]!.message : `${errors.length} errors: ${errors[0]!.message}`;
  const body = errors.map((e) => `${where({ ...e, file: name })}: ${e.message}`).join('\n');
  const testcase =
    `    <testcase classname="${escapeXml(name)}" name="${escapeXml(name)}">\n` +
    `      <error type="input" message="${escapeXml(message)}">${escapeXml(body)}</error>\n` +
    '    </testcase>';
  return { name, tests: 1, failures: 0, errors: 1, cases: [testcase] };
}

function counts(c: Counts): string {
  return `tests="${c.tests}" failures="${c.failures}" errors="${c.errors}"`;
}

export function formatJunit(report: CheckReport): string {
  const byFile = new Map<string, CheckedObject[]>();
  for (const obj of report.objects) {
    const list = byFile.get(obj.file);
    if (list) list.push(obj);
    else byFile.set(obj.file, [obj]);
  }
  const errorsByFile = new Map<string | undefined, InputError[]>();
  for (const e of report.errors) errorsByFile.set(e.file, [...(errorsByFile.get(e.file) ?? []), e]);
  const suites = [
    ...[...byFile].map(([file, objs]) => objectSuite(file, objs)),
    ...[...errorsByFile].map(([file, errors]) => errorSuite(file, errors)),
  ];
  const total: Counts = { tests: 0, failures: 0, errors: 0 };
  for (const s of suites) {
    total.tests += s.tests;
    total.failures += s.failures;
    total.errors += s.errors;
  }
  const body = suites.map(
    (s) =>
      `  <testsuite name="${escapeXml(s.name)}" ${counts(s)} skipped="0">\n${s.cases.join('\n')}\n  </testsuite>`,
  );
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<testsuites name="portguard check" ${counts(total)}>\n` +
    `${body.join('\n')}${body.length ? '\n' : ''}</testsuites>\n`
  );
}
