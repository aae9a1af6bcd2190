/**
 * `--output junit`: JUnit XML for CI dashboards. One testsuite per manifest file, one
 * testcase per checked object; a deny finding is a failure (also in warn mode, where
 * the exit code is still 0 — the dashboard shows what enforce mode would block), warn
 * and info findings go to the testcase's system-out.
 */
import { type CheckedObject, type CheckReport, qualifiedName } from './report.js';

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

function testcase(obj: CheckedObject): string {
  const name = escapeXml(`${obj.kind} ${qualifiedName(obj)} (line ${obj.line})`);
  const open = `    <testcase classname="${escapeXml(obj.file)}" name="${name}"`;
  if (obj.findings.length === 0) return `${open}/>`;
  const parts: string[] = [`${open}>`];
  for (const f of obj.findings.filter((x) => x.severity === 'deny')) {
    parts.push(
      `      <failure type="${escapeXml(f.rule)}" message="${escapeXml(f.message)}">` +
        `${escapeXml(`${f.rule} at ${f.path}: ${f.message}`)}</failure>`,
    );
  }
  const rest = obj.findings.filter((x) => x.severity !== 'deny');
  if (rest.length > 0) {
    const text = rest.map((f) => `${f.severity} ${f.rule} at ${f.path}: ${f.message}`).join('\n');
    parts.push(`      <system-out>${escapeXml(text)}</system-out>`);
  }
  parts.push('    </testcase>');
  return parts.join('\n');
}

export function formatJunit(report: CheckReport): string {
  const byFile = new Map<string, CheckedObject[]>(report.files.map((f) => [f, []]));
  for (const obj of report.objects) {
    const list = byFile.get(obj.file);
    if (list) list.push(obj);
    else byFile.set(obj.file, [obj]);
  }
  const failures = (objs: CheckedObject[]) =>
    objs.filter((o) => o.findings.some((f) => f.severity === 'deny')).length;
  const suites = [...byFile].map(([file, objs]) => {
    const head =
      `  <testsuite name="${escapeXml(file)}" tests="${objs.length}" failures="${failures(objs)}" ` +
      'errors="0" skipped="0"';
    return objs.length === 0 ? `${head}/>` : `${head}>\n${objs.map(testcase).join('\n')}\n  </testsuite>`;
  });
  const total = report.objects.length;
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<testsuites name="portguard check" tests="${total}" failures="${failures(report.objects)}" errors="0">\n` +
    `${suites.join('\n')}${suites.length ? '\n' : ''}</testsuites>\n`
  );
}
