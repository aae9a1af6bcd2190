/**
 * Writes PolicyReports to the cluster (create, or replace the existing one), so the
 * server's periodic audit shows up where Policy Reporter and kubectl users look. Stale
 * reports of namespaces that no longer have results are emptied, not deleted: an empty
 * report says "checked, nothing found", which is information too.
 */
import { httpStatus } from '../kube/http-status.js';
import { CustomObjectsApi, type KubeConfig } from '../kube/k8s.js';
import { MANAGED_BY_LABEL, type PolicyReportObject, REPORT_NAME } from './policy-report.js';

const GROUP = 'wgpolicyk8s.io';
const VERSION = 'v1alpha2';
const FIELD_MANAGER = 'portguard';

export interface WriteOutcome {
  created: number;
  updated: number;
  /** Reports that could not be written, with the reason (e.g. CRD missing, forbidden). */
  failed: { kind: string; namespace?: string; name: string; reason: string }[];
  /** Set when `shouldContinue` turned false and the remaining reports were not written. */
  aborted?: true;
}

export interface WriteOptions {
  /**
   * Checked before each report; the periodic audit passes "still leader", so a replica
   * that lost the Lease mid-run stops writing instead of racing the new leader.
   */
  shouldContinue?: () => boolean;
}

function reasonOf(err: unknown): string {
  const status = httpStatus(err);
  if (status === 404) return 'HTTP 404 (is the wgpolicyk8s.io PolicyReport CRD installed?)';
  return status ? `HTTP ${status}` : err instanceof Error ? err.message : String(err);
}

/** Creates or replaces each report; one failure does not stop the others. */
export async function writePolicyReports(
  kc: KubeConfig,
  reports: PolicyReportObject[],
  options: WriteOptions = {},
): Promise<WriteOutcome> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const outcome: WriteOutcome = { created: 0, updated: 0, failed: [] };
  for (const report of reports) {
    if (options.shouldContinue && !options.shouldContinue()) {
      outcome.aborted = true;
      break;
    }
    const name = report.metadata.name;
    const ns = report.metadata.namespace;
    const plural = report.kind === 'PolicyReport' ? 'policyreports' : 'clusterpolicyreports';
    try {
      let existing: { metadata?: { resourceVersion?: string } } | undefined;
      try {
        existing = ns
          ? await api.getNamespacedCustomObject({
              group: GROUP,
              version: VERSION,
              namespace: ns,
              plural,
              name,
            })
          : await api.getClusterCustomObject({ group: GROUP, version: VERSION, plural, name });
      } catch (err) {
        if (httpStatus(err) !== 404) throw err;
      }
      const where = { group: GROUP, version: VERSION, plural, fieldManager: FIELD_MANAGER };
      if (!existing) {
        if (ns) await api.createNamespacedCustomObject({ ...where, namespace: ns, body: report });
        else await api.createClusterCustomObject({ ...where, body: report });
        outcome.created++;
      } else {
        // Optimistic concurrency: a concurrent writer makes this fail with 409 instead of being overwritten.
        const body = {
          ...report,
          metadata: { ...report.metadata, resourceVersion: existing.metadata?.resourceVersion },
        };
        if (ns) await api.replaceNamespacedCustomObject({ ...where, namespace: ns, name, body });
        else await api.replaceClusterCustomObject({ ...where, name, body });
        outcome.updated++;
      }
    } catch (err) {
      outcome.failed.push({
        kind: report.kind,
        ...(ns ? { namespace: ns } : {}),
        name,
        reason: reasonOf(err),
      });
    }
  }
  return outcome;
}

/**
 * Namespaces that hold a portguard PolicyReport now. A new leader (or a restarted one)
 * starts with this set, so it empties reports an earlier leader wrote for namespaces
 * that have no results any more.
 */
export async function listReportNamespaces(kc: KubeConfig): Promise<Set<string>> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const list = (await api.listClusterCustomObject({
    group: GROUP,
    version: VERSION,
    plural: 'policyreports',
    labelSelector: `${MANAGED_BY_LABEL}=portguard`,
  })) as { items?: { metadata?: { name?: string; namespace?: string; labels?: Record<string, string> } }[] };
  const namespaces = new Set<string>();
  for (const item of list.items ?? []) {
    const m = item.metadata;
    if (m?.name === REPORT_NAME && m.namespace && m.labels?.[MANAGED_BY_LABEL] === 'portguard')
      namespaces.add(m.namespace);
  }
  return namespaces;
}
