/**
 * The `--output` choices, apart from the formatters: `check --help` declares them without
 * loading SARIF's rule metadata, which brings the rules and the policy core with it.
 */
export const OUTPUT_FORMATS = ['text', 'json', 'sarif', 'junit'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];
