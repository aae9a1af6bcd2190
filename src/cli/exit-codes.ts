/** Process exit codes shared by every command; CI scripts depend on them. */
export enum ExitCode {
  Ok = 0,
  /** At least one finding denies (enforce mode). */
  Denied = 1,
  /** Bad input: unreadable file, invalid YAML, bad ConfigMap or policy. */
  BadInput = 2,
}
