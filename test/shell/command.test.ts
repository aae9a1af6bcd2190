import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expandKubeVars, shellScriptIndex, stripWrappers } from '../../src/shell/command.js';
import type { ScriptEnv } from '../../src/shell/index.js';

const id = (s: string) => s;

describe('shellScriptIndex', () => {
  it.each([
    [['sh', '-c', 'x'], 2],
    [['/bin/sh', '-c', 'x', 'arg0'], 2],
    [['bash', '-ec', 'x'], 2],
    [['bash', '-e', '-c', 'x'], 3],
    [['bash', '-c', '-e', 'x'], 3],
    [['bash', '-o', 'pipefail', '-c', 'x'], 4],
    [['/usr/bin/bash', '--norc', '-xc', 'x'], 3],
    [['sh', 'script.sh'], -1],
    [['sh'], -1],
    [['sh', '-c'], -1],
    [['sysctl', '-w', 'a=1'], null],
    [['shell', '-c', 'x'], null],
  ])('%j → %s', (argv, expected) => {
    expect(shellScriptIndex(argv, id)).toBe(expected);
  });
});

describe('stripWrappers', () => {
  it.each([
    [
      ['env', 'A=1', 'sysctl', '-w', 'a=1'],
      ['sysctl', '-w', 'a=1'],
    ],
    [
      ['/bin/busybox', 'sysctl', 'a=1'],
      ['sysctl', 'a=1'],
    ],
    [
      ['exec', 'env', '-i', 'sh', '-c', 'x'],
      ['sh', '-c', 'x'],
    ],
    [
      ['sysctl', 'a=1'],
      ['sysctl', 'a=1'],
    ],
  ])('%j → %j', (argv, expected) => {
    expect(stripWrappers(argv, id)).toEqual(expected);
  });
});

describe('expandKubeVars', () => {
  const env = { RANGE: { value: '1024 65535' }, POD_IP: { fieldRef: 'status.podIP' } };
  it.each([
    ['net.ipv4.ip_local_port_range=$(RANGE)', 'net.ipv4.ip_local_port_range=1024 65535'],
    ['$$(RANGE)', '$(RANGE)'],
    ['$(POD_IP)', '$(POD_IP)'],
    ['$(MISSING)', '$(MISSING)'],
    ['$(date +%s)', '$(date +%s)'],
    ['cost $5', 'cost $5'],
  ])('%s → %s', (input, expected) => {
    expect(expandKubeVars(input, env)).toBe(expected);
  });

  /** Kubernetes' rule, one character at a time: `$$` is `$`, `$(NAME)` a literal env value. */
  function model(s: string, env: ScriptEnv): string {
    let out = '';
    for (let i = 0; i < s.length; i++) {
      if (s[i] === '$' && s[i + 1] === '$') {
        out += '$';
        i++;
        continue;
      }
      if (s[i] === '$' && s[i + 1] === '(') {
        const close = s.indexOf(')', i + 2);
        const name = close === -1 ? '' : s.slice(i + 2, close);
        const e = Object.hasOwn(env, name) ? env[name] : undefined;
        if (/^[-._a-zA-Z0-9]+$/.test(name) && e?.value !== undefined && e.fieldRef === undefined) {
          out += e.value;
          i = close;
          continue;
        }
      }
      out += s[i];
    }
    return out;
  }

  it('agrees with a character-by-character reading', () => {
    const envs: ScriptEnv = {
      A: { value: 'x$(A)y' },
      B_1: { value: '' },
      'c.d': { value: '$$' },
      P: { fieldRef: 'p' },
    };
    const text = fc.string({ unit: fc.constantFrom('$', '(', ')', 'A', 'B_1', 'c.d', 'P', ' ', 'é', '😀') });
    fc.assert(
      fc.property(text, (s) => {
        expect(expandKubeVars(s, envs)).toBe(model(s, envs));
      }),
      { numRuns: 2000 },
    );
  });
});
