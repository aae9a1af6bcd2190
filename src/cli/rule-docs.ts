/**
 * What `portguard rules` lists and `portguard explain RULE` prints. Id, severity and the
 * one-line summary are the rule's metadata (src/rules/catalog.ts), which SARIF reads too;
 * this module adds the longer explanation only the CLI prints: what the rule checks, why it
 * matters, how to fix it, and an example. Keyed by `RuleId`, so a new rule fails to compile
 * here until it is explained.
 */
import type { RuleId, Severity } from '../core/types.js';
import { RULE_METAS } from '../rules/catalog.js';

/** An input that triggers the rule: node data for `--ranges` and/or a manifest for `check`. */
export interface RuleExample {
  /** The ranges ConfigMap's data (`check --ranges`, or what audit reads); defaults when absent. */
  ranges?: Record<string, string>;
  /** A manifest (YAML) that `portguard check` reports the rule on, given `ranges`. */
  manifest?: string;
  /** What the example shows, or what it needs that a manifest cannot carry. */
  note?: string;
}

interface Explanation {
  /** Where the rule runs. */
  runsIn: string;
  checks: string;
  why: string;
  fix: string;
  example: RuleExample;
}

export interface RuleDoc extends Explanation {
  id: RuleId;
  severity: Severity;
  summary: string;
}

const EVERYWHERE = 'webhook, check, audit';
const WIDENED_NODE = { 'node.worker-1': '{"ipLocalPortRange": "1024 65535"}' };

const EXPLANATIONS: Record<RuleId, Explanation> = {
  'nodeport-in-ephemeral-range': {
    runsIn: EVERYWHERE,
    checks:
      "A NodePort Service (or a LoadBalancer that allocates node ports) has a nodePort or healthCheckNodePort inside some node's " +
      "ip_local_port_range and not in that node's ip_local_reserved_ports. A warn finding is added when ports are left to " +
      "auto-allocation and the NodePort range overlaps some node's unreserved ephemeral range.",
    why:
      'Nothing holds NodePort sockets open, so the kernel may pick the nodePort as the source port of an outgoing connection ' +
      'from that node. The reply is addressed to the nodePort, the NodePort rules capture it, and the connection fails: ' +
      'kubelet probes, API server calls and ordinary traffic break at random.',
    fix:
      "Pick a nodePort outside every node's unreserved ephemeral range (or leave it empty: the mutating webhook picks a safe " +
      "one), or add the port to net.ipv4.ip_local_reserved_ports on those nodes. Where a node's range covers the whole " +
      'NodePort range no nodePort is safe: reserve the NodePort range there, or narrow its ip_local_port_range to end below it.',
    example: {
      ranges: WIDENED_NODE,
      manifest: `apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080, nodePort: 31000}]
`,
      note: "worker-1's ephemeral range was widened to 1024-65535, so it may use 31000 as a source port.",
    },
  },
  'nodeport-hostport-collision': {
    runsIn: EVERYWHERE,
    checks:
      "A nodePort equals a port a pod binds on the node with the same protocol: a hostNetwork pod's containerPort, or any " +
      'hostPort. Checked both ways (the Service against the pods, each pod against the Services), across namespaces, and in ' +
      '`check` across all the files of the run.',
    why:
      "The NodePort rules see a packet before any socket does, so traffic for the pod's port goes to the Service's " +
      'endpoints instead: the pod gets "connection refused", or the Service takes its traffic.',
    fix:
      "Move either the nodePort or the pod's port. A Service that leaves nodePort empty gets one from the mutating webhook " +
      'that no pod binds.',
    example: {
      manifest: `apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  type: NodePort
  ports: [{port: 80, nodePort: 30080}]
---
apiVersion: v1
kind: Pod
metadata: {name: edge-proxy, namespace: ops}
spec:
  hostNetwork: true
  containers: [{name: proxy, image: proxy:1, ports: [{containerPort: 30080}]}]
`,
    },
  },
  'nodeport-host-listener-collision': {
    runsIn: EVERYWHERE,
    checks:
      'A nodePort (or healthCheckNodePort) equals a port that a node reporter measured a listening socket on, with the same ' +
      "protocol, on any node, and no known pod or Service accounts for that socket. Warns (unknown) when a node's listener " +
      "list was cut at the reporter's cap and does not show the port. Nodes without measured listeners give nothing.",
    why:
      'A process outside Kubernetes (a node agent, a debugging server) listening on a nodePort loses its traffic to the ' +
      'NodePort rules, which apply on every node and see packets before any socket, as for a hostNetwork pod.',
    fix:
      'Choose another nodePort (leave it empty for the mutating webhook to pick one; `portguard audit --fix` moves existing ' +
      'Services), or move the process off the NodePort range.',
    example: {
      ranges: {
        'node.worker-1': '{"ipLocalPortRange": "32768 60999", "listeners": {"tcp": "22,10250,30080"}}',
      },
      manifest: `apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec:
  type: NodePort
  ports: [{port: 80, nodePort: 30080}]
`,
      note: "worker-1's reporter measured a listener on TCP 30080 (`portguard ranges export` writes such entries).",
    },
  },
  'port-range-overlaps-nodeports': {
    runsIn: EVERYWHERE,
    checks:
      'A pod sets net.ipv4.ip_local_port_range (in securityContext.sysctls or a container script) to a range that overlaps ' +
      'the NodePort range outside the reserved ports. deny when the write reaches the node (a hostNetwork pod, or nsenter ' +
      "into the node's network namespace), info when it stays in the pod's own network namespace, warn when the value or the " +
      'script cannot be resolved (unknown).',
    why:
      'Written on the node, the sysctl makes every nodePort in the overlap a possible source port: replies to those ' +
      'connections are captured by the NodePort rules, and probes and API calls fail at random.',
    fix:
      'Keep the range outside the NodePort range (e.g. "32768 60999" with the default NodePort range), reserve the overlap ' +
      'with net.ipv4.ip_local_reserved_ports in the same script, or guard the write with if [ "$POD_IP" != "$HOST_IP" ] ' +
      "(both from fieldRefs) so it only runs in the pod's own network namespace.",
    example: {
      manifest: `apiVersion: v1
kind: Pod
metadata: {name: tuner, namespace: shop}
spec:
  hostNetwork: true
  initContainers:
    - name: tune
      image: busybox:1.36
      command: [sh, -c, 'sysctl -w net.ipv4.ip_local_port_range="1024 65535"']
  containers: [{name: app, image: app:1}]
`,
    },
  },
  'hazardous-node-sysctl': {
    runsIn: EVERYWHERE,
    checks:
      'A script that reaches the node sets a sysctl known to break cluster networking: net.ipv4.tcp_tw_recycle other than 0, ' +
      'net.ipv4.ip_forward=0, net.ipv4.conf.all.forwarding=0, net.bridge.bridge-nf-call-iptables=0 or ' +
      'net.bridge.bridge-nf-call-ip6tables=0. A value it cannot resolve warns.',
    why:
      'tcp_tw_recycle drops SYNs from clients behind NAT; with forwarding or bridge netfilter off, Service and pod traffic ' +
      'through the node stops.',
    fix: "Remove the setting from the node script, or keep the script in the pod's own network namespace.",
    example: {
      manifest: `apiVersion: v1
kind: Pod
metadata: {name: tuner, namespace: shop}
spec:
  hostNetwork: true
  initContainers:
    - name: tune
      image: busybox:1.36
      command: [sh, -c, 'sysctl -w net.ipv4.ip_forward=0']
  containers: [{name: app, image: app:1}]
`,
    },
  },
  'hostnetwork-port-in-ephemeral-range': {
    runsIn: EVERYWHERE,
    checks:
      'A hostNetwork pod declares a port inside the unreserved ephemeral range of a node it can run on.',
    why:
      'An outgoing connection from the node can hold the port when the pod starts; its bind then fails with EADDRINUSE ' +
      'and the pod restarts until the port happens to be free.',
    fix: "Use a port below the nodes' ip_local_port_range, or reserve it with net.ipv4.ip_local_reserved_ports on those nodes.",
    example: {
      manifest: `apiVersion: v1
kind: Pod
metadata: {name: exporter, namespace: ops}
spec:
  hostNetwork: true
  containers: [{name: exporter, image: exporter:1, ports: [{containerPort: 40000}]}]
`,
      note: 'Every node is on the kernel default ip_local_port_range, 32768-60999.',
    },
  },
  'node-range-overlaps-nodeports': {
    runsIn: 'audit',
    checks:
      "A node's unreserved ephemeral range (ip_local_port_range minus ip_local_reserved_ports) overlaps the NodePort range. " +
      "Reported by `portguard audit` and the server's periodic audit, from the node data.",
    why:
      'Every nodePort in the overlap may be taken as a source port on that node, so any Service given one of them fails ' +
      'as nodeport-in-ephemeral-range describes.',
    fix:
      'Reserve the NodePort range on the node (net.ipv4.ip_local_reserved_ports=30000-32767), or narrow its ' +
      'ip_local_port_range to end below the NodePort range.',
    example: { ranges: WIDENED_NODE, note: '`portguard audit` reports worker-1.' },
  },
  'node-nodeport-source-ports-in-use': {
    runsIn: 'audit',
    checks:
      "A node reporter counted connections whose source port lies in the NodePort range right now (the entry's " +
      'nodePortSourcePorts.count is above 0). Nodes without that evidence give nothing.',
    why:
      'Those connections are exposed already: their replies can be captured by the NodePort rules, so kubelet probes and ' +
      'API calls fail at random.',
    fix:
      'Reserve the NodePort range with net.ipv4.ip_local_reserved_ports on the node, or narrow its ip_local_port_range to ' +
      'end below the NodePort range.',
    example: {
      ranges: {
        'node.worker-1':
          '{"ipLocalPortRange": "1024 65535", "nodePortSourcePorts": {"range": "30000-32767", "count": 3}}',
      },
      note: '`portguard audit` reports worker-1, whose reporter counted 3 such connections.',
    },
  },
  'namespace-mode-label': {
    runsIn: 'webhook (Namespaces)',
    checks:
      'With allowNamespaceModeLabel: true in the policy, a user or group not in modeLabelAdmins sets, changes or removes ' +
      'the portguard.io/mode label of a Namespace, or anyone sets a value that is not a mode: deny, in every mode, and not ' +
      'exemptable. warn when the label is ignored (allowNamespaceModeLabel: false) or an unchanged value is not a mode.',
    why:
      'The label switches portguard to warn or audit for the whole namespace; if everyone who may edit a namespace could ' +
      'set it, enforcement would be one label away.',
    fix:
      "Have someone in the policy's modeLabelAdmins set the label, or change the mode in the policy file (exemptions for " +
      'the objects that need one).',
    example: {
      manifest: `apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {portguard.io/mode: audit}
`,
      note:
        'Policy: allowNamespaceModeLabel: true, modeLabelAdmins: {groups: [platform-admins]}. Applied by a user outside ' +
        'platform-admins, the webhook denies it.',
    },
  },
  'internal-error': {
    runsIn: EVERYWHERE,
    checks: 'A rule threw while it reviewed the object.',
    why:
      'The object was not fully checked, and admitting it could let a conflict through, so portguard fails closed and ' +
      'denies it. It cannot be exempted.',
    fix: 'Report it to the portguard maintainers with the object attached; the message names the rule that failed.',
    example: {
      note:
        'The finding reads: "portguard could not finish rule nodeport-in-ephemeral-range (TypeError); the object was not ' +
        'fully checked, so it is denied. Report this with the object attached."',
    },
  },
};

/** Every rule with its metadata and explanation, in the catalog's order. */
export function ruleDocs(): RuleDoc[] {
  return RULE_METAS.map(({ id, severity, summary }) => ({ id, severity, summary, ...EXPLANATIONS[id] }));
}

/** `ranges` as the `data:` of a ranges ConfigMap, the form `check --ranges FILE` reads. */
export function rangesYaml(ranges: Record<string, string>): string {
  const lines = Object.entries(ranges).map(([k, v]) => `  ${k}: '${v.replaceAll("'", "''")}'`);
  return `data:\n${lines.join('\n')}\n`;
}
