import { unknownValue, type Value } from './value.js';

/**
 * Data flowing through stdin/stdout, with where it came from: a conf file written from a
 * heredoc keeps the heredoc's line numbers, so findings point at the right line.
 */
export interface Stream {
  value: Value;
  line: number;
  /** Each line came from its own source line (a heredoc, a mounted file), not one command. */
  perLine: boolean;
}

export function unknownStream(reason: string, line: number): Stream {
  return { value: unknownValue(reason), line, perLine: false };
}
