import { describe, expect, it } from 'vitest';
import { isOpsError } from '../../src/errors.js';
import { resolveAgentRef } from '../../src/runtime/resolve-agent.js';

const id1 = '0f8fad5b-d9cb-469f-a165-70867728950e';
const id2 = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const team = (name: string, id: string) => ({ name, kind: 'RoundRobinGroupChat', id });
const agents = [
  { type: 'Billing', name: 'Billing', team: null },
  { type: `writer_${id1}`, name: 'writer', team: team('forecast', id1) },
  { type: `critic_${id1}`, name: 'critic', team: team('forecast', id1) },
  { type: `writer_${id2}`, name: 'writer', team: team('support', id2) },
  { type: `RoundRobinGroupChatManager_${id2}`, name: 'RoundRobinGroupChatManager', team: team('support', id2) },
];

describe('resolveAgentRef: the names people use for agents', () => {
  it('a registered type is itself; a bare agent keeps its type as its label', () => {
    expect(resolveAgentRef('Billing', agents, 'prod')).toEqual({ type: 'Billing', label: 'Billing' });
    expect(resolveAgentRef(`critic_${id1}`, agents, 'prod')).toEqual({ type: `critic_${id1}`, label: 'forecast/critic' });
  });

  it('a participant by its own name, or by team and name, survives a restart that changes the team id', () => {
    expect(resolveAgentRef('critic', agents, 'prod')?.type).toBe(`critic_${id1}`);
    expect(resolveAgentRef('support/writer', agents, 'prod')?.type).toBe(`writer_${id2}`);
    expect(resolveAgentRef('RoundRobinGroupChat/critic', agents, 'prod')?.type).toBe(`critic_${id1}`);
  });

  it('a name two teams share is ambiguous and lists the choices', () => {
    try {
      resolveAgentRef('writer', agents, 'prod');
      expect.unreachable('an ambiguous name must throw');
    } catch (err) {
      expect(isOpsError(err, 'AGENT_AMBIGUOUS')).toBe(true);
      if (isOpsError(err)) expect(err.details['choices']).toEqual(['forecast/writer', 'support/writer']);
    }
  });

  it('a team\'s name alone names the whole team: its group chat manager (the type actions on a team take)', () => {
    const withRoles = agents.map((a) => ({ ...a, role: a.team ? (a.name.endsWith('Manager') ? 'manager' : 'participant') : 'agent' }));
    expect(resolveAgentRef('support', withRoles, 'prod')).toEqual({ type: `RoundRobinGroupChatManager_${id2}`, label: 'support/RoundRobinGroupChatManager' });
    // forecast has no manager in this list: its name alone names nothing.
    expect(resolveAgentRef('forecast', withRoles, 'prod')).toBeUndefined();
    // A participant called like a team makes the name ambiguous, with both choices.
    const clash = [...withRoles, { type: `support_${id1}`, name: 'support', team: team('forecast', id1), role: 'participant' }];
    try {
      resolveAgentRef('support', clash, 'prod');
      expect.unreachable('a name that is a participant and a team must throw');
    } catch (err) {
      expect(isOpsError(err, 'AGENT_AMBIGUOUS')).toBe(true);
      if (isOpsError(err)) expect(err.details['choices']).toEqual(['support/RoundRobinGroupChatManager', 'forecast/support']);
    }
  });

  it('nothing matching is undefined (the caller reports an unregistered agent)', () => {
    expect(resolveAgentRef('Nobody', agents, 'prod')).toBeUndefined();
    expect(resolveAgentRef('forecast/nobody', agents, 'prod')).toBeUndefined();
  });
});
