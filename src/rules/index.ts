/** The rules run by `review()`, in reporting order. */
import type { Rule } from '../core/rule-context.js';
import { hazardousNodeSysctl } from './hazardous-node-sysctl.js';
import { hostnetworkPortInEphemeralRange } from './hostnetwork-port-in-ephemeral-range.js';
import { nodeportHostListenerCollision } from './nodeport-host-listener-collision.js';
import { nodeportHostportCollision } from './nodeport-hostport-collision.js';
import { nodeportInEphemeralRange } from './nodeport-in-ephemeral-range.js';
import { portRangeOverlapsNodeports } from './port-range-overlaps-nodeports.js';

export const RULES: readonly Rule[] = [
  nodeportInEphemeralRange,
  nodeportHostportCollision,
  nodeportHostListenerCollision,
  portRangeOverlapsNodeports,
  hazardousNodeSysctl,
  hostnetworkPortInEphemeralRange,
];
