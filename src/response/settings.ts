/**
 * The `response` section of the configuration: runbooks, approvals, safety limits and the audit log.
 * `src/config.ts` (the only reader of the environment) spreads `ResponseEnv` into its schema and calls
 * `buildResponseConfig`; every variable is documented in `.env.example`.
 */
import { z } from 'zod';
import { parseGroupMembers } from '../approvals/rules.js';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');

export const ResponseEnv = z.object({
  /** Folder of the runbook YAML files, validated at start-up. */
  RUNBOOKS_DIR: z.string().min(1).default('runbooks'),
  /** Seconds an Approve button stays valid when the runbook sets none. */
  RESPONSE_APPROVAL_TTL_S: int(30, 86_400).default(900),
  /** Members of the Slack user groups runbooks name as approvers / on-call: `S0SRE=U01,U02;S0ONCALL=U03`. */
  APPROVAL_GROUPS: z.string().optional(),
  /** Also ask Slack for the members of those groups (`usergroups.users.list`, scope `usergroups:read`). */
  APPROVAL_GROUPS_FROM_SLACK: bool.default(true),
  /** Seconds Slack's member list of a group is used before it is asked again. */
  APPROVAL_GROUPS_TTL_S: int(10, 86_400).default(300),
  /** Circuit breaker: at most this many bridge actions per runtime within RESPONSE_ACTION_WINDOW_S. */
  RESPONSE_MAX_ACTIONS: int(1, 10_000).default(10),
  RESPONSE_ACTION_WINDOW_S: int(1, 86_400).default(600),
  /** Approved plans only ask the bridge for a dry run: nothing changes in any runtime. */
  RESPONSE_DRY_RUN_ONLY: bool.default(false),
  /** Lets low-risk runbooks marked `auto_run: true` run without approval (off by default). */
  RESPONSE_ALLOW_AUTO_RUN: bool.default(false),
  /** The requester of any plan (not only high risk) never counts as its approver. */
  APPROVAL_REQUIRE_OTHER_PERSON: bool.default(false),
  /** Approximate number of entries kept in the global audit stream. */
  AUDIT_MAX_ENTRIES: int(1_000, 100_000_000).default(100_000),
  /** Days the per-incident and per-plan audit indexes are kept. */
  AUDIT_RETENTION_DAYS: int(1, 3_650).default(90),
});
export type ResponseEnvParsed = z.infer<typeof ResponseEnv>;

export interface ResponseConfig {
  readonly runbooksDir: string;
  /** Default validity of an approval, seconds. */
  readonly approvalTtlS: number;
  /** Slack user group id → member user ids. */
  readonly groups: ReadonlyMap<string, ReadonlySet<string>>;
  /** Members of user groups are also looked up in Slack, cached for `groupsTtlMs` (`src/approvals/groups.ts`). */
  readonly groupsFromSlack: boolean;
  readonly groupsTtlMs: number;
  readonly breaker: { readonly limit: number; readonly windowMs: number };
  readonly dryRunOnly: boolean;
  readonly allowAutoRun: boolean;
  /** Four eyes on every plan: its requester never counts as an approver (always so at high risk). */
  readonly requireOtherPerson: boolean;
  readonly audit: { readonly maxEntries: number; readonly retentionMs: number };
}

export function buildResponseConfig(e: ResponseEnvParsed): ResponseConfig {
  return {
    runbooksDir: e.RUNBOOKS_DIR,
    approvalTtlS: e.RESPONSE_APPROVAL_TTL_S,
    groups: parseGroupMembers(e.APPROVAL_GROUPS ?? '').groups,
    groupsFromSlack: e.APPROVAL_GROUPS_FROM_SLACK,
    groupsTtlMs: e.APPROVAL_GROUPS_TTL_S * 1000,
    breaker: { limit: e.RESPONSE_MAX_ACTIONS, windowMs: e.RESPONSE_ACTION_WINDOW_S * 1000 },
    dryRunOnly: e.RESPONSE_DRY_RUN_ONLY,
    allowAutoRun: e.RESPONSE_ALLOW_AUTO_RUN,
    requireOtherPerson: e.APPROVAL_REQUIRE_OTHER_PERSON,
    audit: { maxEntries: e.AUDIT_MAX_ENTRIES, retentionMs: e.AUDIT_RETENTION_DAYS * 86_400_000 },
  };
}

/** Problems of the response settings parsed by their own modules (reported with all the others). */
export function responseProblems(env: Record<string, string | undefined>): string[] {
  return parseGroupMembers(env.APPROVAL_GROUPS ?? '').problems.map((p) => `APPROVAL_GROUPS: ${p}`);
}
