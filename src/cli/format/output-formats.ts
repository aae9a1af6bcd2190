/**
 * The `--output` names. Apart from the formatters so that declaring the `check` command
 * (on the `--help` and `--version` paths) loads none of them.
 */
export const OUTPUT_FORMATS = ['text', 'json', 'sarif', 'junit'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];
