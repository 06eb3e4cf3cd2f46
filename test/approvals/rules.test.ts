import { describe, expect, it } from 'vitest';
import { describeApprovers, explainAnswer, explainNotAllowed, isAllowedApprover, parseGroupMembers } from '../../src/approvals/rules.js';

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
    expect(describeApprovers(approval)).toBe('<@U0ALICE> or a member of <!subteam^S0SRE>');
    expect(explainNotAllowed(approval)).toBe('You are not allowed to approve this plan. Who can: <@U0ALICE> or a member of <!subteam^S0SRE>.');
  });

  it('explains every non-running answer', () => {
    const at = Date.parse('2026-01-02T03:04:05Z');
    expect(explainAnswer({ kind: 'approved', approvers: [] }, approval)).toBeNull();
    expect(explainAnswer({ kind: 'decided', status: 'approved', by: 'U0ALICE', at }, approval)).toBe('Nothing was done: this plan was already approved and has run by <@U0ALICE> at 03:04 UTC. Each plan runs at most once.');
    expect(explainAnswer({ kind: 'expired', expiredAt: at }, approval)).toMatch(/expired at 03:04 UTC\. Click "New plan"/);
    expect(explainAnswer({ kind: 'stale' }, approval)).toMatch(/the plan changed after this button was shown/);
    expect(explainAnswer({ kind: 'same_approver', required: 2 }, approval)).toMatch(/already approved this plan\. The two-person rule needs a second, different approver/);
    expect(explainAnswer({ kind: 'recorded', approvers: [{ user: 'U0ALICE', at }], required: 2 }, approval)).toMatch(/recorded \(1 of 2\)/);
    expect(explainAnswer({ kind: 'missing' }, approval)).toMatch(/no longer known/);
  });
});
