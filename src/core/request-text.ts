/**
 * Text taken from an AdmissionRequest (a user or group name) as it may appear in a
 * message. Authenticators pass names through from identity providers, so a name can be
 * kilobytes long or carry terminal escapes; the denial is printed by kubectl and stored
 * in the audit log, so it gets neither.
 */
export const MAX_SHOWN_REQUEST_CHARS = 256;

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** At most `max` code points, control characters and lone surrogates replaced by U+FFFD. */
export function shownRequestText(text: string, max = MAX_SHOWN_REQUEST_CHARS): string {
  // max code points never take more than 2 × max UTF-16 units: cut first, so a huge name costs little.
  const head = text.length > 2 * max ? text.slice(0, 2 * max) : text;
  const clean = head.replace(LONE_SURROGATE, '\uFFFD').replace(CONTROL_CHARS, '\uFFFD');
  const points = Array.from(clean);
  if (points.length <= max && head === text) return clean;
  return `${points.slice(0, max - 1).join('')}…`;
}
