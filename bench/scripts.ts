/**
 * Realistic ~30-line init-container scripts of the kind seed 000 describes: node tuning
 * with sysctl, if-blocks, echo, variable assignments, a sysctl.d heredoc. The variants
 * cover the three verdicts the core gives (guarded/safe, unguarded on the node, benign).
 */
import type { Rng } from './prng.js';

export type ScriptFlavour = 'guarded' | 'unguarded' | 'benign';

export const SCRIPT_FLAVOURS: readonly ScriptFlavour[] = ['guarded', 'unguarded', 'benign'];

export interface ScriptParams {
  flavour: ScriptFlavour;
  /** Makes the text unique (ticket number), so a parse cache cannot have seen it. */
  ticket: number;
  name: string;
  somaxconn: number;
  backlog: number;
  conntrack: number;
  rmem: number;
}

export function randomScriptParams(
  rng: Rng,
  flavour: ScriptFlavour,
  ticket: number,
  name: string,
): ScriptParams {
  return {
    flavour,
    ticket,
    name,
    somaxconn: rng.pick([4096, 8192, 16384, 32768, 65535]),
    backlog: rng.pick([4096, 8192, 16384]),
    conntrack: rng.pick([262144, 524288, 1048576]),
    rmem: rng.pick([4194304, 8388608, 16777216]),
  };
}

function portRangeBlock(flavour: ScriptFlavour): string[] {
  switch (flavour) {
    case 'guarded':
      return [
        'if [ "$POD_IP" != "$HOST_IP" ]; then',
        '  echo "$LOG_PREFIX own network namespace, widening the ephemeral range"',
        '  sysctl -w net.ipv4.ip_local_port_range="$RANGE"',
        'else',
        '  echo "$LOG_PREFIX host network: leaving ip_local_port_range alone"',
        'fi',
      ];
    case 'unguarded':
      return [
        'if [ -w /proc/sys/net/ipv4/ip_local_port_range ]; then',
        '  echo "$LOG_PREFIX widening the ephemeral range"',
        '  sysctl -w net.ipv4.ip_local_port_range="$RANGE"',
        'else',
        '  echo "$LOG_PREFIX /proc/sys is read-only, skipping"',
        'fi',
      ];
    case 'benign':
      return [
        // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template.
        'if [ -n "${VERBOSE:-}" ]; then',
        '  echo "$LOG_PREFIX current range: $(cat /proc/sys/net/ipv4/ip_local_port_range)"',
        '  echo "$LOG_PREFIX not touching ip_local_port_range ($RANGE is only logged)"',
        'else',
        '  echo "$LOG_PREFIX quiet mode"',
        'fi',
      ];
  }
}

/** A 30-line `sh -c` script; same params give the same text. */
export function initScript(p: ScriptParams): string {
  const lines = [
    'set -eu',
    `# Tune the node for high connection churn (ticket OPS-${p.ticket})`,
    `LOG_PREFIX="[init-${p.name}]"`,
    'RANGE="1024 65535"',
    `SOMAXCONN=${p.somaxconn}`,
    'echo "$LOG_PREFIX starting on $(hostname)"',
    ...portRangeBlock(p.flavour),
    'sysctl -w net.core.somaxconn="$SOMAXCONN"',
    `sysctl -w net.ipv4.tcp_max_syn_backlog=${p.backlog}`,
    'sysctl -w net.ipv4.tcp_fin_timeout=15',
    'sysctl net.ipv4.tcp_keepalive_time=600 net.ipv4.tcp_keepalive_intvl=30',
    `echo ${p.conntrack} > /proc/sys/net/netfilter/nf_conntrack_max`,
    'for f in /etc/sysctl.d/*.conf; do',
    '  echo "$LOG_PREFIX found $f"',
    'done',
    'if [ -f /etc/app/tuning.env ]; then',
    '  . /etc/app/tuning.env',
    'fi',
    'cat > /etc/sysctl.d/99-app.conf <<EOF',
    `net.core.rmem_max = ${p.rmem}`,
    `net.core.wmem_max = ${p.rmem}`,
    'EOF',
    'sysctl -p /etc/sysctl.d/99-app.conf',
    'echo "$LOG_PREFIX done"',
    'touch /shared/ready',
    'exit 0',
  ];
  return `${lines.join('\n')}\n`;
}

/** The init container carrying the script, with POD_IP/HOST_IP from the downward API. */
export function initContainer(p: ScriptParams): Record<string, unknown> {
  return {
    name: 'tune',
    image: 'busybox:1.36',
    command: ['/bin/sh', '-c'],
    args: [initScript(p)],
    env: [
      { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
      { name: 'VERBOSE', value: '' },
    ],
    securityContext: { privileged: true },
  };
}
