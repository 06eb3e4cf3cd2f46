/** The guide's resource checks: RSS (> 512 MB), growth trend (leak), host memory (> 85 %), CPU (> 80 %), disk (> 80 %). */
import type { Check } from '../report.js';
import type { Category } from '../classify.js';
import type { Thresholds } from '../thresholds.js';
import { mb, type DiagnosisInput } from '../input.js';
import { memoryTrend, trendEvidence } from '../memory-trend.js';

export function checkResources(input: DiagnosisInput, t: Thresholds): Check {
  const base = { id: 'resources', title: 'Resources' } as const;
  const info = input.info;
  if (!info) return { ...base, status: 'warn', category: 'resources', summary: 'Runtime resource figures unavailable.', evidence: [] };
  const evidence: string[] = [];
  const issues: { status: 'warn' | 'fail'; category: Category; text: string; fix: string }[] = [];
  const rss = info.rss_bytes ?? undefined;
  if (rss !== undefined) evidence.push(`RSS ${mb(rss)}${info.cpu_percent != null ? `, CPU ${info.cpu_percent.toFixed(0)}%` : ''}${info.memory_percent != null ? `, host memory ${info.memory_percent.toFixed(0)}%` : ''}${info.disk_percent != null ? `, disk ${info.disk_percent.toFixed(0)}%` : ''}`);
  const bridgeBytes = info.bridge_buffer_bytes ?? 0;
  const trend = memoryTrend(info.rss_history ?? [], info.started_at, t, bridgeBytes);
  if (trend.judged && (trend.leaking || trend.slopePerMin > t.leakSlopePerMin)) evidence.push(trendEvidence(trend, t, bridgeBytes));
  if (trend.judged && trend.leaking) {
    issues.push({ status: 'fail', category: 'resources', text: 'memory grows steadily (suspected leak)', fix: 'Look for caches without expiry and unclosed resources in the agent; restart it to reclaim memory meanwhile.' });
  }
  if (rss !== undefined && rss > t.memoryMb * 1024 * 1024) issues.push({ status: 'warn', category: 'resources', text: `RSS ${mb(rss)} is above ${t.memoryMb} MB`, fix: 'Check large cached objects; add LRU eviction.' });
  if ((info.memory_percent ?? 0) > t.memoryPercent) issues.push({ status: 'warn', category: 'resources', text: `host memory ${info.memory_percent}% is above ${t.memoryPercent}%`, fix: 'Free memory on the host or move the runtime.' });
  if ((info.cpu_percent ?? 0) > t.cpuPercent) issues.push({ status: 'warn', category: 'resources', text: `CPU ${info.cpu_percent}% is above ${t.cpuPercent}%`, fix: 'Move CPU-heavy work off the event loop (thread pool) or scale out.' });
  if ((info.disk_percent ?? 0) > t.diskPercent) issues.push({ status: 'warn', category: 'storage', text: `disk ${info.disk_percent}% is above ${t.diskPercent}%`, fix: 'Free disk space (logs, caches).' });
  if (issues.length === 0) return { ...base, status: 'ok', category: 'resources', summary: 'Memory, CPU and disk within the guide\'s thresholds (docs/commands.md).', evidence };
  const status = issues.some((i) => i.status === 'fail') ? 'fail' : 'warn';
  const first = issues[0]!;
  return { ...base, status, category: first.category, summary: `${issues.map((i) => i.text).join('; ')}.`.replace(/^./, (c) => c.toUpperCase()), evidence, suggestion: first.fix };
}
