/**
 * Ranges data that cannot be used as a whole: a file for `check`, `serve --ranges` and
 * `audit --ranges`, or the cluster's ConfigMap for audit, which must not guess. Plain data,
 * so the library (audit) and the CLI raise and catch the same error.
 */
import type { RangesError } from './node-ranges.js';

/** Bad ranges data (a file or a ConfigMap); `errors` holds one entry per bad ConfigMap key. */
export class RangesFileError extends Error {
  override name = 'RangesFileError';
  constructor(
    readonly file: string,
    readonly errors: RangesError[],
    detail?: string,
  ) {
    super(
      detail ? `${file}: ${detail}` : errors.map((e) => `${file}: key "${e.key}": ${e.message}`).join('\n'),
    );
  }
}
