/**
 * Rule `internal-error` (deny): a rule threw, so the object was not fully checked. `review()`
 * reports it (fail closed); no exemption lifts it.
 */
import { ruleMeta } from './rule-meta.js';

export const meta = ruleMeta({
  id: 'internal-error',
  severity: 'deny',
  summary: 'portguard could not finish checking the object.',
  help: 'The object was not fully checked, so it is denied. Report the object to the portguard maintainers.',
  exemptions: 'ignored',
});
