/**
 * Rule `namespace-mode-label` (deny, webhook only): who may set the namespace mode label. The
 * check is core/mode-label-guard.ts, since it judges a Namespace request rather than an object's
 * ports; `check` and `audit` never report it, so it has no SARIF help, and exemptions cannot
 * lift it (the label is what would switch enforcement off).
 */
import { ruleMeta } from './rule-meta.js';

export const meta = ruleMeta({
  id: 'namespace-mode-label',
  severity: 'deny',
  summary:
    "A namespace's portguard.io/mode label is set, changed or removed by someone the policy does not allow.",
  exemptions: 'refused',
});
