import { describe, expect, it } from 'vitest';
import { nodeReachOf, podMayReachNode } from '../../src/core/node-reach.js';

const c = (extra: object = {}) => ({ name: 'c', image: 'x', ...extra });
const hostPort = c({ ports: [{ containerPort: 80, hostPort: 8080 }] });

describe('nodeReachOf', () => {
  it.each([
    ['empty spec', {}, {}],
    ['not an object', null, {}],
    ['plain pod with a containerPort', { containers: [c({ ports: [{ containerPort: 80 }] })] }, {}],
    ['hostNetwork', { hostNetwork: true }, { hostNetwork: true }],
    ['hostNetwork: false', { hostNetwork: false }, {}],
    ['hostPID', { hostPID: true }, { hostPID: true }],
    ['hostPath volume', { volumes: [{ name: 'v', hostPath: { path: '/run' } }] }, { hostPathVolume: true }],
    ['emptyDir volume', { volumes: [{ name: 'v', emptyDir: {} }] }, {}],
    ['hostPort in containers', { containers: [hostPort] }, { hostPort: true }],
    ['hostPort in initContainers', { initContainers: [hostPort] }, { hostPort: true }],
    ['hostPort in ephemeralContainers', { ephemeralContainers: [hostPort] }, { hostPort: true }],
    ['hostPort 0 (unset)', { containers: [c({ ports: [{ containerPort: 80, hostPort: 0 }] })] }, {}],
    // The sysctls list stays in the pod's own netns (kubelet refuses net.* with hostNetwork).
    ['securityContext.sysctls', { securityContext: { sysctls: [{ name: 'a', value: '1' }] } }, {}],
  ])('%s', (_name, spec, facts) => {
    const want = { hostNetwork: false, hostPID: false, hostPathVolume: false, hostPort: false, ...facts };
    expect(nodeReachOf(spec)).toEqual(want);
    expect(podMayReachNode(spec)).toBe(Object.keys(facts).length > 0);
  });
});
