/**
 * Who may set the namespace mode label. When the policy allows `portguard.io/mode`, the
 * label switches enforcement for a whole namespace, so it is guarded the way Gatekeeper
 * guards its ignore label: only the policy's modeLabelAdmins may set, change or remove
 * it. The webhook passes the labels and the requesting user in; nothing here reads the
 * cluster. The guard is access control, not a port finding: it denies in every mode and
 * policy exemptions do not apply to it.
 */
import { MODE_LABEL, MODES, type ModeLabelAdmins, type Policy } from './policy.js';
import { shownRequestText } from './request-text.js';
import type { Decision, Finding, Operation, Severity } from './types.js';

/** The requesting user as the apiserver authenticated it (AdmissionRequest.userInfo). */
export interface UserInfo {
  username?: string;
  groups?: string[];
}

export interface ModeLabelInput {
  operation: Operation;
  /** The Namespace's name, for findings. */
  name: string;
  /** Labels before the request (UPDATE); absent on CREATE. */
  oldLabels?: Record<string, string>;
  newLabels?: Record<string, string>;
  /** Absent when the request carried none: such a request is nobody's, never an admin's. */
  user?: UserInfo;
}

const LABEL_PATH = `metadata.labels['${MODE_LABEL}']`;
/** Every authenticated request has it; naming it in a denial only hides the groups that matter. */
const IMPLICIT_GROUPS = new Set(['system:authenticated']);
const MAX_GROUPS_SHOWN = 10;

function isAdmin(user: UserInfo | undefined, admins: ModeLabelAdmins): boolean {
  if (!user) return false;
  if (user.username !== undefined && admins.users.includes(user.username)) return true;
  return (user.groups ?? []).some((g) => admins.groups.includes(g));
}

/** `alice (groups dev-team)`, each name capped, at most MAX_GROUPS_SHOWN groups. */
function describeUser(user: UserInfo | undefined): string {
  if (!user?.username) return 'a request without a user name';
  const groups = (user.groups ?? []).filter((g) => !IMPLICIT_GROUPS.has(g));
  const name = shownRequestText(user.username);
  if (groups.length === 0) return name;
  const shown = groups.slice(0, MAX_GROUPS_SHOWN).map((g) => shownRequestText(g));
  const more = groups.length > MAX_GROUPS_SHOWN ? ` and ${groups.length - MAX_GROUPS_SHOWN} more` : '';
  return `${name} (groups ${shown.join(', ')}${more})`;
}

function isMode(value: string): boolean {
  return (MODES as readonly string[]).includes(value);
}

/** Label values are at most 63 characters of [A-Za-z0-9._-] (the apiserver validated them). */
function notAModeMessage(value: string): string {
  return `${MODE_LABEL}: ${JSON.stringify(shownRequestText(value, 63))} is not a mode; use one of ${MODES.join(', ')}`;
}

/**
 * The decision about one Namespace CREATE or UPDATE. Allowed with no findings unless the
 * request touches the mode label. An UPDATE that leaves the label as it was is always
 * allowed, so labels set before the guard existed never block other edits of the namespace.
 */
export function guardModeLabel(input: ModeLabelInput, policy: Policy): Decision {
  const finding = (severity: Severity, message: string): Finding => ({
    rule: 'namespace-mode-label',
    severity,
    kind: 'Namespace',
    namespace: '',
    name: input.name,
    path: LABEL_PATH,
    nodes: [],
    nodeCount: 0,
    message,
  });
  const decide = (findings: Finding[]): Decision => {
    const denials = findings.filter((f) => f.severity === 'deny');
    return { allowed: denials.length === 0, mode: policy.mode, findings, denials, exempted: [] };
  };

  if (input.operation !== 'CREATE' && input.operation !== 'UPDATE') return decide([]);
  const before = input.operation === 'UPDATE' ? input.oldLabels?.[MODE_LABEL] : undefined;
  const after = input.newLabels?.[MODE_LABEL];
  if (before === undefined && after === undefined) return decide([]);

  if (!policy.allowNamespaceModeLabel) {
    // The label does nothing, so there is nothing to guard; say so to whoever thinks it works.
    if (after === undefined) return decide([]);
    return decide([
      finding(
        'warn',
        `${MODE_LABEL} is ignored: the policy has allowNamespaceModeLabel: false, so namespace ` +
          `${input.name} gets the policy mode (${policy.mode})`,
      ),
    ]);
  }

  if (after !== undefined && before === after) {
    // An unchanged invalid value blocks nothing, but it does nothing either.
    return decide(
      isMode(after)
        ? []
        : [finding('warn', `${notAModeMessage(after)}; until then the policy mode (${policy.mode}) applies`)],
    );
  }

  const findings: Finding[] = [];
  if (!isAdmin(input.user, policy.modeLabelAdmins)) {
    findings.push(
      finding(
        'deny',
        `${MODE_LABEL} may only be set, changed or removed by the users and groups in the policy's ` +
          `modeLabelAdmins; ${describeUser(input.user)} is not one of them`,
      ),
    );
  }
  if (after !== undefined && !isMode(after)) {
    findings.push(finding('deny', `${notAModeMessage(after)}, or remove the label to get the policy mode`));
  }
  return decide(findings);
}
