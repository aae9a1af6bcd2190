/**
 * The same script gives the same findings whatever the wall-clock limit, the order in which
 * scripts are analysed, or whether the answer came from the cache (issue 10: budgets count
 * steps, never milliseconds).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import { createReviewer } from '../../src/core/review.js';
import { createScriptAnalyzer } from '../../src/shell/index.js';
import { largeState } from '../core/rule-context.large-cluster.js';

const PIECES = [
  'sysctl -w net.ipv4.ip_local_port_range="1024 65535"',
  'echo 32767 > /proc/sys/net/ipv4/ip_local_port_range',
  'sysctl -w net.core.somaxconn=4096',
  'f() { g; g; g; }\ng() { f; f; f; }\nf',
  `${'if true; then\n'.repeat(250)}:\n${'fi\n'.repeat(250)}`,
  ':\n'.repeat(6_000),
  'sh -c "sh -c \'sh -c \\"sh -c \\\\\\"sh -c true\\\\\\"\\"\'"',
  'timeout 5 nsenter -t 1 -n sysctl -w net.ipv4.tcp_tw_recycle=1',
  "python3 -c \"open('/proc/sys/net/ipv4/ip_forward','w').write('0')\"",
  'for i in $(seq 1 100); do echo $i; done',
];

const script = fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 4 }).map((p) => p.join('\n'));

describe('determinism of script analysis', () => {
  it('any script: the same analysis under any wall-clock limit and in any order (property)', async () => {
    const slow = await createScriptAnalyzer({ cacheSize: 0, safetyLimitMs: 600_000 });
    const other = await createScriptAnalyzer({ cacheSize: 10, safetyLimitMs: 120_000 });
    await fc.assert(
      fc.asyncProperty(fc.array(script, { minLength: 1, maxLength: 5 }), async (scripts) => {
        const first = scripts.map((s) => slow.analyzeScript(s));
        const reversed = [...scripts]
          .reverse()
          .map((s) => other.analyzeScript(s))
          .reverse();
        const again = scripts.map((s) => other.analyzeScript(s));
        expect(reversed).toEqual(first);
        expect(again).toEqual(first);
      }),
      { numRuns: 40, seed: 0x5eed },
    );
  });

  it('a pod with 200 containers of distinct scripts gets the same findings on every run', async () => {
    const containers = Array.from({ length: 200 }, (_, i) => ({
      name: `c${i}`,
      image: 'busybox',
      command: ['sh', '-c', `${PIECES[i % PIECES.length]}\n# ${i}\n${PIECES[(i * 7) % PIECES.length]}`],
    }));
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'many', namespace: 'shop' },
      spec: { hostNetwork: true, containers },
    };
    const state = largeState(3);
    const runs = [];
    for (let i = 0; i < 3; i++) {
      // A fresh analyzer each run: nothing is served from a cache of an earlier run.
      const reviewer = createReviewer({ scripts: await createScriptAnalyzer({ cacheSize: 0 }) });
      runs.push(reviewer.review({ operation: 'CREATE', object: pod }, state, DEFAULT_POLICY));
    }
    expect(runs[0]!.findings.length).toBeGreaterThan(200);
    expect(runs[1]!.findings).toEqual(runs[0]!.findings);
    expect(runs[2]!.findings).toEqual(runs[0]!.findings);
    expect(runs[0]!.allowed).toBe(false);
  });
});
