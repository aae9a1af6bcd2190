/**
 * The logging surface src/kube and src/reporter need. A pino Logger satisfies it; tests
 * pass a recording stub. Injected, never imported as a singleton.
 */
export interface KubeLogger {
  debug(obj: Record<string, unknown>, msg: string): void;
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}
