/**
 * The route's step before a validation: the scripts the review will analyse go to the
 * worker pool (script-offload.ts), so the synchronous review that follows answers from the
 * results instead of parsing on the event loop. The views are the ones the core judges:
 * the object unless it is a DELETE, and the old object on UPDATE.
 */
import type { ConfigMapData } from '../core/configmap-inputs.js';
import { type ObjectView, viewOf } from '../core/object-view.js';
import type { CountedAnalysis } from '../shell/index.js';
import type { AdmissionRequest } from './admission-request.js';
import type { AppDeps } from './deps.js';

function viewsOf(req: AdmissionRequest): ObjectView[] {
  const views: ObjectView[] = [];
  const view = req.operation === 'DELETE' ? undefined : viewOf(req.object, req.namespace);
  if (view?.pod) views.push(view);
  const old = req.operation === 'UPDATE' ? viewOf(req.oldObject, req.namespace) : undefined;
  if (old?.pod) views.push(old);
  return views;
}

/** Analyses for `ReviewInput.scriptAnalyses`; undefined without a pool or without scripts. */
export async function analyseScripts(
  req: AdmissionRequest,
  deps: Pick<AppDeps, 'scriptOffload' | 'logger'>,
  configMaps: ConfigMapData | undefined,
): Promise<ReadonlyMap<string, CountedAnalysis> | undefined> {
  if (!deps.scriptOffload) return undefined;
  let views: ObjectView[];
  try {
    views = viewsOf(req);
  } catch (err) {
    // The review reads the same object and reports what is wrong with it; nothing to hand over.
    deps.logger.warn(
      { uid: req.uid, err: err instanceof Error ? err.name : typeof err },
      'pod spec unreadable',
    );
    return undefined;
  }
  return views.length > 0 ? deps.scriptOffload.prepare(views, configMaps) : undefined;
}
