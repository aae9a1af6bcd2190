/**
 * `portguard ranges export`: writes the cluster's effective per-node data (ranges
 * ConfigMap, report objects and Nodes, joined as the webhook joins them) as a ConfigMap
 * that `portguard check --ranges` reads, so CI can check against a snapshot of the real
 * cluster without cluster access. Exit 0, or 2 on any unreadable or bad input.
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { DEFAULT_RANGES_LOCATION } from '../kube/read-cluster-ranges.js';
import { type ClusterFlags, ClusterReadError, readRangesFromCluster } from './cluster-ranges.js';
import { ExitCode } from './exit-codes.js';
import { formatRangesExport } from './ranges-export.js';

export interface RangesExportOptions extends ClusterFlags {
  /** File to write; stdout when absent. */
  output?: string;
}

export interface RangesExportIO {
  stdout(text: string): void;
  stderr(text: string): void;
  cwd?: string;
}

const PREFIX = 'portguard ranges export';

/** Runs the export and returns the exit code; never throws for bad input. */
export async function runRangesExport(opts: RangesExportOptions, io: RangesExportIO): Promise<ExitCode> {
  let text: string;
  try {
    const read = await readRangesFromCluster(opts, (note) => io.stderr(`${PREFIX}: ${note}\n`));
    text = formatRangesExport(read.ranges, {
      namespace: opts.namespace ?? DEFAULT_RANGES_LOCATION.namespace,
      name: opts.configmap ?? DEFAULT_RANGES_LOCATION.name,
    });
  } catch (err) {
    if (!(err instanceof ClusterReadError)) throw err;
    io.stderr(`${PREFIX}: ${err.message}\n`);
    return ExitCode.BadInput;
  }
  if (opts.output === undefined || opts.output === '-') {
    io.stdout(text);
    return ExitCode.Ok;
  }
  try {
    await writeFile(resolve(io.cwd ?? process.cwd(), opts.output), text);
  } catch (err) {
    io.stderr(`${PREFIX}: cannot write ${opts.output}: ${(err as Error).message}\n`);
    return ExitCode.BadInput;
  }
  return ExitCode.Ok;
}

/** The `portguard ranges export` action (flags declared in commands/ranges.ts). */
export function rangesExportAction(flags: RangesExportOptions): Promise<ExitCode> {
  return runRangesExport(flags, {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
  });
}
