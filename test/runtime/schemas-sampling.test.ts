/**
 * Fields a bridge under load adds to its answers (a log record's `count`, the message graph's `failures` and
 * `unlinked`): read when present, optional for older bridges, refused when not numbers.
 */
import { describe, expect, it } from 'vitest';
import { AgentDetail, eventsOf, LogPage, LogRecord } from '../../src/runtime/schemas.js';

const record = { ts: '2026-01-10T12:00:00.000000Z', level: 'ERROR', agent_type: 'ChatAgent', message: 'boom' };
const agentDetail = { type: 'ChatAgent', registered: true };

describe('sampling fields of the bridge answers', () => {
  it('a log record with or without its count', () => {
    expect(LogPage.parse({ records: [{ ...record, count: 400 }, record, { ...record, count: null }] }).records.map(eventsOf)).toEqual([400, 1, 1]);
    expect(LogRecord.safeParse({ ...record, count: 'many' }).success).toBe(false);
  });

  it('a record stands for at least itself', () => {
    expect([eventsOf({}), eventsOf({ count: 0 }), eventsOf({ count: -3 }), eventsOf({ count: Number.NaN }), eventsOf({ count: 6 })]).toEqual([1, 1, 1, 1, 6]);
  });

  it('a message-graph scope with or without failures and unlinked', () => {
    expect(AgentDetail.parse({ ...agentDetail, message_graph: { messages: 100, since: null, failures: 50, unlinked: 1234 } }).message_graph)
      .toMatchObject({ failures: 50, unlinked: 1234 });
    expect(AgentDetail.parse({ ...agentDetail, message_graph: { messages: 100 } }).message_graph?.unlinked).toBeUndefined();
    expect(AgentDetail.safeParse({ ...agentDetail, message_graph: { messages: 100, unlinked: 'lots' } }).success).toBe(false);
    expect(AgentDetail.safeParse({ ...agentDetail, message_graph: { messages: 100, failures: '50' } }).success).toBe(false);
  });
});
