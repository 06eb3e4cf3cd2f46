import { describe, expect, it } from 'vitest';
import { memoryTrend } from '../../src/diagnosis/memory-trend.js';
import { DEFAULT_THRESHOLDS as t } from '../../src/diagnosis/thresholds.js';

const now = Date.parse('2026-01-01T12:00:00Z');
const at = (sAgo: number): string => new Date(now - sAgo * 1000).toISOString();
const started = at(3600);
const MB = 1024 * 1024;
/** One sample every 10 s over 5 minutes, RSS from `rss(minute)`. */
const history = (rss: (min: number) => number) => Array.from({ length: 31 }, (_, i) => ({ ts: at(300 - i * 10), rss_bytes: rss(i / 6) }));

describe('memoryTrend: a leak is a sustained slope, not a step', () => {
  it('steady growth through the whole window is a leak', () => {
    const trend = memoryTrend(history((m) => 60 * MB * (1 + 0.2 * m)), started, t);
    expect(trend.judged && trend.sustained && trend.leaking).toBe(true);
  });

  it('a step from 61 to 94 MB that then stays flat is not a leak, though the whole-window slope is steep', () => {
    const step = (m: number): number => (m < 1 ? 61 * MB : m < 2.5 ? 61 * MB + (33 * MB * (m - 1)) / 1.5 : 94 * MB);
    const trend = memoryTrend(history(step), started, t);
    expect(trend.judged).toBe(true);
    if (!trend.judged) return;
    expect(trend.slopePerMin).toBeGreaterThan(t.leakSlopePerMin);
    expect(trend.sustained).toBe(false);
    expect(trend.leaking).toBe(false);
  });

  it('growth that the bridge\'s own buffers account for is not the application\'s leak', () => {
    const grows = history((m) => 60 * MB + 10 * MB * m); // +50 MB over 5 min
    expect(memoryTrend(grows, started, t)).toMatchObject({ judged: true, leaking: true });
    expect(memoryTrend(grows, started, t, 45 * MB)).toMatchObject({ judged: true, leaking: false });
  });

  it('too few samples or too short a span is not judged', () => {
    expect(memoryTrend([{ ts: at(10), rss_bytes: 1 }, { ts: at(5), rss_bytes: 2 }], started, t).judged).toBe(false);
    const flat = Array.from({ length: 10 }, (_, i) => ({ ts: at(100 - i * 10), rss_bytes: 5e7 }));
    expect(memoryTrend(flat, started, t)).toMatchObject({ judged: true, slopePerMin: 0, leaking: false });
  });
});
