/**
 * How a sysctl value appears in a finding. Messages end up in kubectl output and in the
 * apiserver's audit log, and a value can come from an env var (`sysctl -w ...="$TOKEN"`),
 * so only values that look like ports or numbers are echoed; anything else is described.
 */
const NUMERIC_VALUE = /^[0-9\s,-]{1,40}$/;

export function shownValue(value: string): string {
  const v = value.trim();
  return NUMERIC_VALUE.test(v) ? `"${v.replace(/\s+/g, ' ')}"` : 'a value that is not a port range';
}

/** True when the value may be quoted in a message (see shownValue). */
export function isShowable(value: string): boolean {
  return NUMERIC_VALUE.test(value.trim());
}
