/**
 * Progress of a long `check`: the events `runCheck` reports (files read, then files checked)
 * and the one line that shows them on a terminal, redrawn in place with `\r` and cleared at
 * the end. Nothing is shown when stderr is not a TTY (CI logs, pipes), and nothing ever goes
 * to stdout, which carries the report.
 */
import type { LoadedObject } from './manifest-loader.js';

/** `read`: files parsed so far (the total is not known yet); `check`: files reviewed of all. */
export type CheckProgress =
  | { phase: 'read'; files: number }
  | { phase: 'check'; done: number; total: number };

/**
 * Counts files as their objects go by, in listing order (a file's objects are contiguous), and
 * reports each new count. `flush` reports the last file once every object has gone by.
 */
export function fileCounter(report: (files: number) => void): {
  add(objects: readonly LoadedObject[]): void;
  flush(): void;
} {
  let files = 0;
  let current: string | undefined;
  return {
    add(objects) {
      for (const o of objects) {
        if (o.file === current) continue;
        if (current !== undefined) report(files);
        current = o.file;
        files++;
      }
    },
    flush() {
      if (current !== undefined) report(files);
    },
  };
}

export interface ProgressLineOptions {
  write(text: string): void;
  /** Whether `write` goes to a terminal; without one the line never shows. */
  isTTY: boolean;
  /** Milliseconds, monotonic. */
  now?: () => number;
  /** Show at once when the run has more files than this... */
  minFiles?: number;
  /** ...or once it has taken this long. */
  delayMs?: number;
  /** Redraw at most this often (a terminal repaints no faster than people read). */
  intervalMs?: number;
}

export interface ProgressLine {
  update(progress: CheckProgress): void;
  /** Writes a message (whole lines) with the progress line out of its way. */
  note(text: string): void;
  /** Removes the progress line, if shown. */
  clear(): void;
}

export const PROGRESS_MIN_FILES = 200;
export const PROGRESS_DELAY_MS = 1_000;
const PROGRESS_INTERVAL_MS = 100;

/** `checked 120/800 files`, or `read 40 files` while the total is not known yet. */
export function progressText(p: CheckProgress): string {
  if (p.phase === 'check') return `checked ${p.done}/${p.total} files`;
  return `read ${p.files} file${p.files === 1 ? '' : 's'}`;
}

export function createProgressLine(opts: ProgressLineOptions): ProgressLine {
  const now = opts.now ?? (() => performance.now());
  const minFiles = opts.minFiles ?? PROGRESS_MIN_FILES;
  const delayMs = opts.delayMs ?? PROGRESS_DELAY_MS;
  const intervalMs = opts.intervalMs ?? PROGRESS_INTERVAL_MS;
  const started = now();
  let shown = false;
  let drawnAt = Number.NEGATIVE_INFINITY;
  let phase: CheckProgress['phase'] | undefined;
  const clear = () => {
    if (!shown) return;
    // Back to column 0 and erase to the end of the line.
    opts.write('\r\u001b[K');
    shown = false;
  };
  return {
    update(p) {
      if (!opts.isTTY) return;
      const t = now();
      const files = p.phase === 'read' ? p.files : p.total;
      if (files <= minFiles && t - started < delayMs) return;
      if (p.phase === phase && t - drawnAt < intervalMs) return;
      phase = p.phase;
      drawnAt = t;
      opts.write(`\r${progressText(p)}\u001b[K`);
      shown = true;
    },
    note(text) {
      clear();
      opts.write(text);
    },
    clear,
  };
}
