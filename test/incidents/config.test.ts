import { describe, expect, it } from 'vitest';
import { isOpsError } from '../../src/errors.js';
import { loadConfig } from '../../src/config.js';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (err) {
    if (!isOpsError(err, 'CONFIG_INVALID')) throw err;
    return err.details.problems as string[];
  }
}

describe('alerts configuration', () => {
  it('has working defaults and reads every setting', () => {
    const def = loadConfig({});
    expect(def.alerts).toMatchObject({ sources: [], channel: undefined, coalesceMs: 5000, reopenWindowMs: 900_000, autoDiagnose: true, autoPlan: true, defaultSeverity: 'warning' });
    expect(def.alerts.grouping).toMatchObject({ runtimeLabels: ['runtime', 'autogen_runtime'], agentLabels: ['agent_type', 'agent'], groupBy: [], dependencies: [] });
    expect(def.monitor).toEqual({ enabled: true, intervalMs: 15_000, minSamples: 5, latencyMinSamples: 20 });
    const c = loadConfig({
      ALERT_SOURCES: 'am=bearer:0123456789abcdef0123,ci=hmac:abcdefabcdefabcdef',
      ALERT_CHANNEL: 'C0ALERTS',
      ALERT_ROUTES: 'severity>=critical -> C0ONCALL',
      ALERT_GROUP_BY: 'cluster, env',
      ALERT_AGENT_DEPENDENCIES: 'ChatAgent>ToolAgent',
      ALERTMANAGER_URL: 'http://am:9093/',
      MONITOR_INTERVAL_S: '30',
    });
    expect(c.alerts.sources.map((s) => `${s.name}:${s.scheme}`)).toEqual(['am:bearer', 'ci:hmac']);
    expect(c.alerts.routes).toHaveLength(1);
    expect(c.alerts.grouping.groupBy).toEqual(['cluster', 'env']);
    expect(c.alerts.grouping.dependencies).toEqual([['ChatAgent', 'ToolAgent']]);
    expect(c.alerts.alertmanager.url).toBe('http://am:9093');
    expect(c.monitor.intervalMs).toBe(30_000);
  });

  it('reports every alert setting problem at once, without echoing secrets', () => {
    const p = problems({
      ALERT_SOURCES: 'am=bearer:short,am:bearer:leakedsecret0123456',
      ALERT_ROUTES: 'team=x -> general',
      ALERT_AGENT_DEPENDENCIES: 'A B',
      ALERT_CHANNEL: '#alerts',
      ALERT_GROUP_BY: '1bad',
    });
    expect(p.join('\n')).toMatch(/ALERT_SOURCES.*16 characters/);
    expect(p.join('\n')).toMatch(/ALERT_SOURCES: alert source #2 is not/);
    expect(p.join('\n')).toMatch(/ALERT_ROUTES/);
    expect(p.join('\n')).toMatch(/ALERT_AGENT_DEPENDENCIES/);
    expect(p.join('\n')).toMatch(/ALERT_CHANNEL/);
    expect(p.join('\n')).toMatch(/ALERT_GROUP_BY/);
    expect(p.join('\n')).not.toMatch(/short|leakedsecret/);
  });

  it('requires a channel once sources are set', () => {
    expect(problems({ ALERT_SOURCES: 'am=bearer:0123456789abcdef0123' }).join('\n')).toMatch(/ALERT_CHANNEL: required/);
  });
});
