/**
 * The fleet section's computed figures: the incremental sums must equal serializing every
 * version in full, and the synthetic fleet must look like the EKS nodes it stands for.
 */
import { describe, expect, it } from 'vitest';
import { generateFleet } from '../../bench/fleet/nodes.js';
import {
  CONFIGMAP_DATA_LIMIT,
  type FleetHeader,
  managedFieldsBytes,
  oldConfigMap,
  oldEntry,
  reporterBodies,
  reportObject,
  simulateAfter,
  simulateBefore,
  watchEventBytes,
} from '../../bench/fleet/objects.js';

const HEADER: FleetHeader = { nodePortRange: '30000-32767', default: '{"ipLocalPortRange":"60000 65535"}' };
const SYSCTLS = { ipLocalPortRange: '32768\t60999', ipLocalReservedPorts: '' };
const ENTRY =
  '{"ipLocalPortRange":"32768\\t60999","ipLocalReservedPorts":"","listeners":{"tcp":"22,10250,10256","udp":""},"nodePortSourcePorts":{"range":"30000-32767","count":0}}';
const size = (v: unknown) => Buffer.byteLength(JSON.stringify(v));

describe('generateFleet', () => {
  const fleet = generateFleet(500, 7);

  it('gives every node a distinct EKS-style name and the 18 labels of a managed node group', () => {
    expect(new Set(fleet.map((n) => n.name)).size).toBe(500);
    for (const n of fleet) {
      expect(n.name).toMatch(/^ip-10-\d+-\d+-\d+\.us-west-2\.compute\.internal$/);
      expect(Object.keys(n.labels)).toHaveLength(18);
      expect(n.labels['kubernetes.io/hostname']).toBe(n.name);
    }
  });

  it('is the same fleet for the same seed', () => {
    expect(generateFleet(500, 7)).toEqual(fleet);
  });

  it('makes old entries of about 1 KB and report objects with a few hundred bytes of managedFields', () => {
    const old = Buffer.byteLength(oldEntry(SYSCTLS, fleet[0]!));
    expect(old).toBeGreaterThan(800);
    expect(old).toBeLessThan(1200);
    const mf = managedFieldsBytes(reportObject(fleet[0]!, ENTRY));
    expect(mf).toBeGreaterThanOrEqual(300);
    expect(mf).toBeLessThanOrEqual(450);
  });
});

describe('simulateBefore', () => {
  const fleet = generateFleet(40, 3);
  const entries = fleet.map((n) => [`node.${n.name}`, oldEntry(SYSCTLS, n)] as const);

  it('sums sizes that equal each version serialized in full', () => {
    const every = entries.map((_, i) => i + 1);
    const figures = simulateBefore(HEADER, entries, every);
    let stored = 0;
    let watch = 0;
    for (let i = 1; i <= entries.length; i++) {
      const s = size(oldConfigMap(HEADER, entries.slice(0, i)));
      stored += s;
      watch += watchEventBytes('MODIFIED', s);
    }
    expect(figures.storedBytes).toBe(stored);
    expect(figures.watchBytesPerReplica).toBe(watch);
    expect(figures.largestObjectBytes).toBe(size(oldConfigMap(HEADER, entries)));
    expect(figures.requestBytes).toBe(entries.reduce((s, [k, v]) => s + size({ data: { [k]: v } }), 0));
  });

  it('finds the write that takes the data past the apiserver limit', () => {
    const big = generateFleet(1500, 3).map((n) => [`node.${n.name}`, oldEntry(SYSCTLS, n)] as const);
    const figures = simulateBefore(HEADER, big);
    const at = figures.dataLimitExceededAtNode!;
    expect(at).toBeGreaterThan(500);
    const dataAt = (i: number) =>
      Object.entries(oldConfigMap(HEADER, big.slice(0, i)).data as Record<string, string>).reduce(
        (s, [k, v]) => s + k.length + v.length,
        0,
      );
    expect(dataAt(at)).toBeGreaterThan(CONFIGMAP_DATA_LIMIT);
    expect(dataAt(at - 1)).toBeLessThanOrEqual(CONFIGMAP_DATA_LIMIT);
    // The JSON object (escaping, managedFields) passes 1 MiB a little earlier than its data.
    expect(figures.objectOver1MiBAtNode!).toBeLessThanOrEqual(at);
  });
});

describe('simulateAfter', () => {
  it('sums one created object per node and the two bodies each reporter sends', () => {
    const fleet = generateFleet(25, 5);
    const entries = fleet.map(() => ENTRY);
    const figures = simulateAfter(fleet, entries);
    const sizes = fleet.map((n) => size(reportObject(n, ENTRY)));
    expect(figures.storedBytes).toBe(sizes.reduce((a, b) => a + b, 0));
    expect(figures.largestObjectBytes).toBe(Math.max(...sizes));
    expect(figures.watchBytesPerReplica).toBe(sizes.reduce((a, s) => a + watchEventBytes('ADDED', s), 0));
    const bodies = fleet.map((n) => reporterBodies(n, ENTRY));
    expect(figures.requestBytes).toBe(bodies.reduce((a, b) => a + size(b.patch) + size(b.create), 0));
  });
});
