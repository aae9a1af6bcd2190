/**
 * The error of untrusted input (manifests, ranges files, policy files): it names the file,
 * and the line when the problem has one. Library readers throw it; the CLI reports it.
 */
export class ManifestError extends Error {
  override name = 'ManifestError';
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    /** The message without the file and line (a worker sends these across). */
    readonly detail: string,
    /** 1-based column, when known (YAML syntax errors). */
    readonly column?: number,
  ) {
    super(`${file}${line !== undefined ? `:${line}` : ''}: ${detail}`);
  }
}
