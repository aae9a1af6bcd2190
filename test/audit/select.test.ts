import { describe, expect, it } from 'vitest';
import { mayTouchNodePorts, selectForReview } from '../../src/audit/select.js';
import { owner, pod, podSpec, service, workload } from './cluster-fixtures.js';

const hostNet = podSpec({ hostNetwork: true, ports: [{ containerPort: 9100 }] });

describe('selectForReview', () => {
  const deploy = workload('Deployment', 'web', 'api', hostNet);
  const rs = workload('ReplicaSet', 'web', 'api-7d9', hostNet, [
    owner('Deployment', 'api', deploy.metadata.uid),
  ]);
  const bareRs = workload('ReplicaSet', 'web', 'legacy', hostNet);
  const cron = workload('CronJob', 'ops', 'tune', hostNet);
  const job = workload('Job', 'ops', 'tune-123', hostNet, [owner('CronJob', 'tune', cron.metadata.uid)]);
  const ds = workload('DaemonSet', 'kube-system', 'exporter', hostNet);

  it.each([
    {
      name: 'pod of a Deployment (through its ReplicaSet)',
      p: pod('web', 'api-7d9-x', hostNet, [owner('ReplicaSet', 'api-7d9', rs.metadata.uid)]),
      reviewed: false,
    },
    {
      name: 'pod of a bare ReplicaSet',
      p: pod('web', 'legacy-x', hostNet, [owner('ReplicaSet', 'legacy', bareRs.metadata.uid)]),
      reviewed: false,
    },
    {
      name: 'pod of a CronJob (through its Job)',
      p: pod('ops', 'tune-123-x', hostNet, [owner('Job', 'tune-123', job.metadata.uid)]),
      reviewed: false,
    },
    {
      name: 'pod of a DaemonSet',
      p: pod('kube-system', 'exporter-x', hostNet, [owner('DaemonSet', 'exporter', ds.metadata.uid)]),
      reviewed: false,
    },
    { name: 'bare pod', p: pod('web', 'debug', hostNet), reviewed: true },
    {
      name: 'pod of an unknown controller',
      p: pod('web', 'op-x', hostNet, [owner('Widget', 'op', 'uid-unknown')]),
      reviewed: true,
    },
    {
      name: 'pod with a non-controller owner only',
      p: pod('web', 'y', hostNet, [
        { ...owner('DaemonSet', 'exporter', ds.metadata.uid), controller: false },
      ]),
      reviewed: true,
    },
  ])('$name: reviewed=$reviewed', ({ p, reviewed }) => {
    const sel = selectForReview({ services: [], pods: [p], workloads: [deploy, rs, bareRs, cron, job, ds] });
    expect(sel.review.includes(p)).toBe(reviewed);
    expect(sel.coveredPods).toBe(reviewed ? 0 : 1);
  });

  it('reviews Deployments and CronJobs, not the ReplicaSets and Jobs they own, in a stable order', () => {
    const svc = service('a', 's', [30001]);
    const sel = selectForReview({
      services: [svc],
      pods: [],
      workloads: [job, ds, cron, rs, bareRs, deploy],
    });
    expect(sel.review.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Service/s',
      'Deployment/api',
      'DaemonSet/exporter',
      'ReplicaSet/legacy',
      'CronJob/tune',
    ]);
    expect(sel.coveredWorkloads).toBe(2);
  });
});

describe('mayTouchNodePorts', () => {
  it.each([
    { name: 'NodePort Service', obj: service('a', 's', [30001]), want: true },
    { name: 'LoadBalancer Service', obj: service('a', 's', [30001], { type: 'LoadBalancer' }), want: true },
    { name: 'ClusterIP Service', obj: service('a', 's', [], { type: 'ClusterIP' }), want: false },
    { name: 'hostNetwork pod', obj: pod('a', 'p', podSpec({ hostNetwork: true })), want: true },
    {
      name: 'hostPort pod',
      obj: pod('a', 'p', podSpec({ ports: [{ containerPort: 80, hostPort: 8080 }] })),
      want: true,
    },
    { name: 'plain pod', obj: pod('a', 'p', podSpec({ ports: [{ containerPort: 80 }] })), want: false },
    // nsenter reaches the node from these (seed: a hostPID tuner pod).
    { name: 'hostPID pod', obj: pod('a', 'p', { ...podSpec({}), hostPID: true }), want: true },
    {
      name: 'hostPath pod',
      obj: pod('a', 'p', { ...podSpec({}), volumes: [{ name: 'h', hostPath: { path: '/proc' } }] }),
      want: true,
    },
  ])('$name → $want', ({ obj, want }) => {
    expect(mayTouchNodePorts(obj)).toBe(want);
  });
});
