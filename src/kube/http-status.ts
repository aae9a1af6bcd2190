/**
 * The HTTP status of a failed client-node call. client-node rejects with an ApiException
 * whose numeric `code` is the apiserver's status. Other rejections carry codes that are no
 * HTTP status: a network failure a string (`ECONNREFUSED`), a DOMException a small legacy
 * number (20 for AbortError), hence the range check.
 */
export function httpStatus(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'number' && Number.isInteger(code) && code >= 100 && code <= 599 ? code : undefined;
}
