/** `check --fail-on`: which summaries fail the run, and the verdict every format then shows. */
import { describe, expect, it } from 'vitest';
import { failsAt, withVerdict } from '../../src/cli/fail-on.js';
import type { CheckReport } from '../../src/cli/format/report.js';

const summary = (deny: number, warn: number, info: number, denied: boolean): CheckReport['summary'] => ({
  objects: 1,
  checked: 1,
  findings: deny + warn + info,
  deny,
  warn,
  info,
  exempted: 0,
  denied,
  errors: 0,
});

describe('failsAt', () => {
  it.each([
    ['nothing', summary(0, 0, 0, false), false, false],
    ['info only', summary(0, 0, 2, false), false, false],
    ['a warning (or an unknown)', summary(0, 1, 0, false), false, true],
    ['a denial', summary(1, 0, 0, true), true, true],
    ['a deny finding that --mode warn lets through', summary(1, 0, 0, false), false, true],
  ])('%s: deny → %s, warn → %s', (_n, s, atDeny, atWarn) => {
    expect(failsAt(s, 'deny')).toBe(atDeny);
    expect(failsAt(s, 'warn')).toBe(atWarn);
  });
});

describe('withVerdict', () => {
  const report: CheckReport = {
    mode: 'enforce',
    files: [],
    objects: [],
    findings: [],
    errors: [],
    summary: summary(0, 1, 0, false),
  };

  it('marks the report denied when it fails at the level, and leaves it alone otherwise', () => {
    expect(withVerdict(report, 'warn').summary.denied).toBe(true);
    expect(withVerdict(report, 'deny')).toBe(report);
    expect(report.summary.denied).toBe(false);
  });
});
