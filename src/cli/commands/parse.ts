/** Flag value parsers shared by the declarations; a bad value is a usage error (exit 2). */
import { InvalidArgumentError } from 'commander';

/** A TCP port, 0 (any free port) to 65535. */
export function portNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`invalid port ${value}`);
  return n;
}

/** A worker thread count, 0 to 16. */
export function threadCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 16) {
    throw new InvalidArgumentError(`invalid thread count ${value} (0 to 16)`);
  }
  return n;
}
