/**
 * The webhook's adapter into the policy core: an AdmissionRequest becomes the same
 * ReviewInput that `check` and audit build, so all three judge objects identically.
 */
import type { ConfigMapData } from '../core/configmap-inputs.js';
import type { ReviewInput } from '../core/types.js';
import type { CountedAnalysis } from '../shell/index.js';
import type { AdmissionRequest } from './admission-request.js';
import type { AppDeps } from './deps.js';

/**
 * `configMaps`: what the webhook looked up for this request (review-configmaps.ts);
 * `scriptAnalyses`: what its worker pool analysed (review-scripts.ts).
 */
export function toReviewInput(
  req: AdmissionRequest,
  deps: Pick<AppDeps, 'namespaceLabels'>,
  configMaps?: ConfigMapData,
  scriptAnalyses?: ReadonlyMap<string, CountedAnalysis>,
): ReviewInput {
  const input: ReviewInput = { operation: req.operation, object: req.object };
  if (configMaps && configMaps.size > 0) input.configMaps = configMaps;
  if (scriptAnalyses) input.scriptAnalyses = scriptAnalyses;
  if (req.oldObject !== undefined) input.oldObject = req.oldObject;
  // Server-side dry run: nodePorts the user left unset hold placeholders (see core/placeholders).
  if (req.dryRun === true) input.dryRun = true;
  if (req.namespace) {
    input.namespace = req.namespace;
    const labels = deps.namespaceLabels?.(req.namespace);
    if (labels) input.namespaceLabels = labels;
  }
  return input;
}
