/**
 * Hostile init-container scripts through the whole review path (AdmissionReview →
 * webhook → core → shell analyzer). The shell's own unit tests cover the analyzer; here
 * the point is what the user gets: an answer (within the test's generous deadline; the
 * timings are figures for `npm run bench`), and on a hostNetwork pod a script portguard
 * could not analyse is reported as unknown (a warn finding), never silently passed as clean.
 */
import { describe, expect, it } from 'vitest';
import { loadFixture, post, testApp } from '../server/helpers.js';
import type { Json } from './helpers.js';

const MIB = 1024 * 1024;

/**
 * Name, script, and whether the answer must flag it (a deny, or a warning that the script
 * could not be analysed). An unterminated heredoc swallows the rest of the script, so it
 * runs nothing but `cat`: clean is the right answer there.
 */
const HOSTILE: [string, string, boolean][] = [
  ['a 1 MiB script', 'sysctl -w net.core.somaxconn=65535\n'.repeat(Math.ceil(MIB / 35)), false],
  [
    '10,000 nested ifs',
    `${'if true; then\n'.repeat(10_000)}sysctl -w net.ipv4.ip_local_port_range="1024 65535"\n${'fi\n'.repeat(10_000)}`,
    true,
  ],
  ['pathological quoting', `${'"\'$(`"'.repeat(40_000)}`, false],
  [
    'an unterminated heredoc',
    `cat <<EOF > /etc/sysctl.d/99.conf\n${'net.ipv4.ip_local_port_range = 1024 65535\n'.repeat(5_000)}`,
    false,
  ],
  ['deep command substitution', `sysctl -w net.ipv4.ip_local_port_range="${'$('.repeat(20_000)}"`, true],
  [
    'deep subshells',
    `${'('.repeat(20_000)}sysctl -w net.ipv4.ip_local_port_range="1024 65535"${')'.repeat(20_000)}`,
    true,
  ],
];

function hostNetworkPod(script: string, hostNetwork = true): Json {
  const r = structuredClone(loadFixture('validate-create-pod-hostnetwork-init-sysctl'));
  r.request.object.spec.hostNetwork = hostNetwork;
  r.request.object.spec.initContainers[0].command = ['/bin/sh', '-c', script];
  return r;
}

describe('hostile scripts through the webhook', () => {
  it.each(HOSTILE)('%s: answered, never silently clean', async (_name, script, mustFlag) => {
    const t = await testApp();
    const review = hostNetworkPod(script);
    const result = await post(t.app, '/validate', review);
    expect(result.status).toBe(200);
    expect(result.body.response.uid).toBe(review.request.uid);
    const rules: string[] = (result.body.response.auditAnnotations.rules ?? '').split(',');
    // Either the analysis found the write (deny), or the script is reported as unknown (warn).
    const warnings: string[] = result.body.response.warnings ?? [];
    const unknown = warnings.some((w) => /script of a hostNetwork container/.test(w));
    if (mustFlag) expect(rules.includes('port-range-overlaps-nodeports') || unknown).toBe(true);
    if (unknown) expect(rules).toContain('port-range-overlaps-nodeports');
    await t.app.close();
  });

  it('a script past the size limit on a hostNetwork pod is a warn finding naming the reason', async () => {
    const t = await testApp();
    const { body } = await post(t.app, '/validate', hostNetworkPod(HOSTILE[0]![1]));
    expect(body.response.allowed).toBe(true);
    expect(body.response.warnings.join('\n')).toMatch(
      /port-range-overlaps-nodeports: script of a hostNetwork container/,
    );
    expect(body.response.auditAnnotations.rules).toContain('port-range-overlaps-nodeports');
    await t.app.close();
  });

  it('the same hostile script on a pod with its own network namespace does not warn about the node', async () => {
    const t = await testApp();
    const { body } = await post(t.app, '/validate', hostNetworkPod(HOSTILE[0]![1], false));
    expect(body.response.allowed).toBe(true);
    expect((body.response.warnings ?? []).join('\n')).not.toMatch(/script of a hostNetwork container/);
    await t.app.close();
  });

  it('ten containers each with a hostile script are answered too', async () => {
    const t = await testApp();
    const review = hostNetworkPod('true');
    const spec = review.request.object.spec;
    spec.initContainers = HOSTILE.slice(1).flatMap(([, script], i) => [
      { name: `a${i}`, image: 'busybox', command: ['sh', '-c', script] },
      { name: `b${i}`, image: 'busybox', command: ['sh', '-c', `${script}\n# ${i}`] },
    ]);
    const result = await post(t.app, '/validate', review);
    expect(result.status).toBe(200);
    expect(result.body.response.uid).toBe(review.request.uid);
    await t.app.close();
  });
});
