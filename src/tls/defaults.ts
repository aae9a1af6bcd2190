/** Validity of the CA and the serving certificate when no `days` is given (imports nothing, for `certs --help`). */
export const DEFAULT_DAYS = 365;
