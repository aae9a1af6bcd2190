/**
 * Request options that make client-node send a JSON merge patch. Its generated patch
 * methods default to `application/json-patch+json`; a merge patch that names one
 * ConfigMap key lets writers touch only that key.
 */
import { PatchStrategy, setHeaderOptions } from './k8s.js';

export const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
