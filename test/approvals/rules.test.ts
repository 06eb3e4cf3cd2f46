import { describe, expect, it } from 'vitest';
import { renderRich } from '../../src/slack/blocks/rich-text.js';
import { describeApprovers, excludedRequester, explainRecorded, isAllowedApprover, notAllowed, parseGroupMembers, refusalFor, requesterRefusal } from '../../src/approvals/rules.js';

const approval = { users: ['U0ALICE'], groups: ['S0SRE'] };

describe('approval rules', () => {
  const { groups, problems } = parseGroupMembers('S0SRE=U0BOB,U0CAROL; S0ONCALL=U0DAVE');
  it('parses group membership from config', () => {
    expect(problems).toEqual([]);
    expect([...(groups.get('S0SRE') ?? [])]).toEqual(['U0BOB', 'U0CAROL']);
    expect(parseGroupMembers('sre=alice').problems).toEqual(['"sre=alice": expected S<GROUPID>=U<USER>,U<USER>']);
    expect(parseGroupMembers('S0X=U0A,bob').problems).toEqual(['"S0X=U0A,bob": not Slack user ids: bob']);
  });

  it('allows listed users and group members only', () => {
    expect(isAllowedApprover(approval, 'U0ALICE', groups)).toBe(true);
    expect(isAllowedApprover(approval, 'U0BOB', groups)).toBe(true);
    expect(isAllowedApprover(approval, 'U0DAVE', groups)).toBe(false);
    expect(isAllowedApprover(approval, 'U0EVE', new Map())).toBe(false);
  });

  it('a refusal names who can approve', () => {
    expect(renderRich(describeApprovers(approval))).toBe('<@U0ALICE> or a member of <!subteam^S0SRE>');
    const err = notAllowed(approval);
    expect(err.code).toBe('APPROVER_NOT_ALLOWED');
    expect(err.message).toBe('You are not allowed to decide on this plan. Who can: <@U0ALICE> or a member of <!subteam^S0SRE>.');
  });

  it('every answer that did not run the plan has a coded refusal that says why', () => {
    const at = Date.parse('2026-01-02T03:04:05Z');
    expect(refusalFor({ kind: 'approved', approvers: [] }, approval)).toBeNull();
    expect(refusalFor({ kind: 'recorded', approvers: [], required: 2 }, approval)).toBeNull();
    const decided = refusalFor({ kind: 'decided', status: 'approved', by: 'U0ALICE', at }, approval);
    expect([decided?.code, decided?.message]).toEqual(['PLAN_ALREADY_DECIDED', 'This plan was already approved, rejected or replaced; nothing was done. It was approved by <@U0ALICE> at 03:04 UTC and has run.']);
    const late = (by: string) => refusalFor({ kind: 'decided', status: 'superseded', by, at }, approval)?.message;
    const prefix = 'This plan was already approved, rejected or replaced; nothing was done. It was ';
    expect(late('newer:pl-b')).toBe(`${prefix}replaced by a newer plan at 03:04 UTC.`);
    expect(late('pl-other')).toBe(`${prefix}closed at 03:04 UTC: another plan for the same failure ran (pl-other).`);
    expect(late('incident-resolved')).toBe(`${prefix}closed at 03:04 UTC: its incident resolved.`);
    expect(late('diagnosis-changed')).toBe(`${prefix}closed at 03:04 UTC: the incident's diagnosis changed and this plan no longer matches it.`);
    expect(late('not-shared')).toBe(`${prefix}closed at 03:04 UTC: the bot could not post it in its channel.`);
    expect(refusalFor({ kind: 'expired', expiredAt: at }, approval)?.message).toBe('This approval has expired; nothing was done. It expired at 03:04 UTC.');
    expect(refusalFor({ kind: 'stale' }, approval)?.code).toBe('PLAN_STALE');
    expect(refusalFor({ kind: 'same_approver', required: 2 }, approval)?.message).toMatch(/two-person rule needs someone else\. Still needed: an approval from <@U0ALICE>/);
    expect(refusalFor({ kind: 'missing' }, approval)?.code).toBe('PLAN_NOT_FOUND');
    expect(renderRich(explainRecorded([{ user: 'U0ALICE', at }], 2, approval))).toMatch(/recorded \(1 of 2\)/);
  });
});

describe('four eyes: the requester of a plan', () => {
  const sre = { users: [], groups: ['S0SRE'] };
  const planOf = (risk: string, requestedBy = 'U0ALICE') => ({ risk, requestedBy, approval: sre });

  it('never counts as an approver of a high or critical plan', () => {
    for (const risk of ['high', 'critical']) {
      expect(excludedRequester(planOf(risk), false)).toBe('U0ALICE');
      const err = requesterRefusal(planOf(risk), 'U0ALICE', false);
      expect(err?.code).toBe('APPROVAL_BY_REQUESTER');
      expect(err?.message).toBe(`You asked for this plan, so your approval does not count; nothing was done. A ${risk}-risk plan needs an approval from a member of <!subteam^S0SRE>, other than its requester.`);
      expect(requesterRefusal(planOf(risk), 'U0BOB', false)).toBeNull();
    }
  });

  it('may approve a low or medium plan unless the config switch asks for another person', () => {
    for (const risk of ['low', 'medium']) {
      expect(excludedRequester(planOf(risk), false)).toBeNull();
      expect(requesterRefusal(planOf(risk), 'U0ALICE', false)).toBeNull();
      expect(excludedRequester(planOf(risk), true)).toBe('U0ALICE');
      expect(requesterRefusal(planOf(risk), 'U0ALICE', true)?.message).toContain('Every plan (APPROVAL_REQUIRE_OTHER_PERSON) needs an approval from a member of <!subteam^S0SRE>, other than its requester.');
      expect(requesterRefusal(planOf(risk), 'U0BOB', true)).toBeNull();
    }
  });

  it('excludes nobody when no person asked (incident-triggered or system plans)', () => {
    for (const by of ['incident', 'system']) {
      expect(excludedRequester(planOf('high', by), true)).toBeNull();
      expect(requesterRefusal(planOf('high', by), 'U0ALICE', true)).toBeNull();
    }
  });
});
