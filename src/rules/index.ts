/** The rules audit and the review run, in reporting order. */
import type { NodeRule, Rule } from '../core/rule-context.js';
import { hazardousNodeSysctl } from './hazardous-node-sysctl.js';
import { hostnetworkPortInEphemeralRange } from './hostnetwork-port-in-ephemeral-range.js';
import { nodeNodeportSourcePortsInUse } from './node-nodeport-source-ports-in-use.js';
import { nodeRangeOverlapsNodeports } from './node-range-overlaps-nodeports.js';
import { nodeportHostListenerCollision } from './nodeport-host-listener-collision.js';
import { nodeportHostportCollision } from './nodeport-hostport-collision.js';
import { nodeportInEphemeralRange } from './nodeport-in-ephemeral-range.js';
import { portRangeOverlapsNodeports } from './port-range-overlaps-nodeports.js';

/** Object rules: `review()` runs each on every object. */
export const RULES: readonly Rule[] = [
  nodeportInEphemeralRange,
  nodeportHostportCollision,
  nodeportHostListenerCollision,
  portRangeOverlapsNodeports,
  hazardousNodeSysctl,
  hostnetworkPortInEphemeralRange,
];

/** Node rules: audit runs each once on the cluster's node data. */
export const NODE_RULES: readonly NodeRule[] = [nodeRangeOverlapsNodeports, nodeNodeportSourcePortsInUse];
