/**
 * The fake apiserver the fleet section writes to: the test suite's list/watch server
 * (test/support/list-watch-server.ts), a real HTTP server that speaks LIST, WATCH, GET,
 * POST and merge PATCH with label selectors, skips no-op patches as the apiserver does,
 * and counts the bytes of request bodies and of watch events it writes.
 *
 * It is loaded at run time, not imported, so a build without test/ still runs every other
 * section and says why this one is skipped. `tsconfig.bench.json` compiles test/support next
 * to the bench for `npm run bench`; under vitest the TypeScript source is loaded directly.
 * The interface below is all the section relies on.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { KubeConfig } from '../../src/kube/k8s.js';

export interface FleetApiserver {
  url: string;
  /** Bytes of watch events written to every open watch so far. */
  watchBytes: number;
  /** Bytes of request bodies received so far. */
  requestBytes: number;
  kubeConfig(): KubeConfig;
  /** Stores an object and streams its event to the matching watches, as a write would. */
  emit(resource: 'configmaps', type: 'ADDED', obj: Record<string, unknown>): unknown;
  close(): Promise<void>;
}

export interface ApiserverSeed {
  nodes: Record<string, unknown>[];
  configmaps: Record<string, unknown>[];
}

export type StartApiserver = (seed: ApiserverSeed) => Promise<FleetApiserver>;

/** The list/watch server's start function, or a reason it is not available here. */
export async function loadTestApiserver(): Promise<StartApiserver | { missing: string }> {
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  const url = new URL(`../../test/support/list-watch-server.${ext}`, import.meta.url);
  if (!existsSync(fileURLToPath(url))) {
    return { missing: `${fileURLToPath(url)} not found (test/support is not part of this build)` };
  }
  const mod = (await import(url.href)) as {
    startListWatchServer(options: { seed: ApiserverSeed }): Promise<FleetApiserver>;
  };
  return (seed) => mod.startListWatchServer({ seed });
}
