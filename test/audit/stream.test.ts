import { describe, expect, it } from 'vitest';
import { appendAudit, auditKeys, exportAuditJson, readAudit } from '../../src/audit/stream.js';
import { useTestRedis } from '../support/redis.js';

describe('audit stream (real Redis)', () => {
  const { redis, prefix } = useTestRedis();

  it('appends events and reads them back by incident and by plan, oldest first', async () => {
    const common = { incident_id: 'inc-7', plan_id: 'pl-a-1', runtime: 'demo', runbook_id: 'agent-cascade-failure' };
    const id1 = await appendAudit(redis, prefix, { type: 'plan.proposed', at: '2026-01-02T03:04:05.000Z', actor: 'U0ALICE', ...common, data: { actions: [{ action: 'isolate', target: 'ToolAgent' }] } });
    await appendAudit(redis, prefix, { type: 'approval.approved', at: '2026-01-02T03:05:00.000Z', actor: 'U0BOB', ...common });
    await appendAudit(redis, prefix, { type: 'action.executed', at: '2026-01-02T03:05:01.000Z', actor: 'U0BOB', ...common, data: { before: { isolated: false }, after: { isolated: true } } });
    await appendAudit(redis, prefix, { type: 'plan.proposed', at: '2026-01-02T04:00:00.000Z', actor: 'system', incident_id: 'inc-8', plan_id: 'pl-b-1' });

    const byIncident = await readAudit(redis, prefix, { subject: 'inc-7' });
    expect(byIncident.map((e) => [e.type, e.actor])).toEqual([['plan.proposed', 'U0ALICE'], ['approval.approved', 'U0BOB'], ['action.executed', 'U0BOB']]);
    expect(byIncident[0]?.id).toBe(id1);
    expect(byIncident[2]?.data).toEqual({ before: { isolated: false }, after: { isolated: true } });
    expect((await readAudit(redis, prefix, { subject: 'pl-b-1' })).map((e) => e.incident_id)).toEqual(['inc-8']);
    expect((await readAudit(redis, prefix)).map((e) => e.type)).toHaveLength(4);
  });

  it('is append-only: entries of the global stream are never rewritten, and a bad event is refused before writing', async () => {
    const before = await redis.xlen(auditKeys(prefix).all);
    await expect(appendAudit(redis, prefix, { type: 'nonsense' as 'escalated', at: 'x', actor: 'y' })).rejects.toThrow();
    expect(await redis.xlen(auditKeys(prefix).all)).toBe(before);
  });

  it('exports JSON with the subject, the time and every entry', async () => {
    const entries = await readAudit(redis, prefix, { subject: 'inc-7' });
    const json = JSON.parse(exportAuditJson('inc-7', entries, new Date('2026-01-03T00:00:00Z'))) as { subject: string; count: number; entries: unknown[] };
    expect(json).toMatchObject({ subject: 'inc-7', exported_at: '2026-01-03T00:00:00.000Z', count: 3 });
    expect(json.entries).toHaveLength(3);
  });
});
