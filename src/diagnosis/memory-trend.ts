/**
 * The one reading of a runtime's memory trend, shared by `diagnose` and `perf`: least-squares slope of
 * RSS against time, relative to the mean RSS, per minute (0.1 = growing by 10 % of its size a minute).
 *
 * A leak needs a sustained slope, not a step: memory that jumps once (a burst of traffic, a cache
 * filling, the bridge's own error buffers filling during a storm) and then stays flat is not a leak, so
 * the growth must go on through the later parts of the window too. The bytes the bridge's own buffers
 * hold are not the application's and are taken off the growth before it is judged.
 */
import type { RssSample } from '../runtime/schemas.js';
import { formatMb, formatMs, plural, toMs } from './quantities.js';
import type { Thresholds } from './thresholds.js';

export type MemoryTrend =
  | {
    readonly judged: true;
    /** Slope over the whole window, relative to the mean RSS, per minute. */
    readonly slopePerMin: number;
    readonly mbPerMin: number;
    readonly spanS: number;
    readonly samples: number;
    /** The growth goes on in the later thirds of the window (not one step then flat). */
    readonly sustained: boolean;
    /** Growth over the window less the bridge's own buffers, bytes. */
    readonly appGrowthBytes: number;
    /** Sustained, above the threshold, and not explained by the bridge's buffers. */
    readonly leaking: boolean;
  }
  | { readonly judged: false; readonly reason: string };

interface Point { readonly x: number; readonly y: number }

/** Least-squares slope (bytes per minute) of points with x in minutes; 0 for fewer than two distinct x. */
function slope(points: readonly Point[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/**
 * `bridgeBufferBytes`: what the bridge's own buffers hold now (`bridge_buffer_bytes`); all of it is
 * assumed to have grown within the window, which errs towards calling no leak.
 */
export function memoryTrend(history: readonly RssSample[], startedAt: string | null | undefined, t: Thresholds, bridgeBufferBytes = 0): MemoryTrend {
  const start = toMs(startedAt);
  const cutoff = Number.isFinite(start) ? start + t.leakWarmupS * 1000 : Number.NEGATIVE_INFINITY;
  const raw = history
    .map((s) => ({ x: toMs(s.ts), y: s.rss_bytes }))
    .filter((p) => Number.isFinite(p.x) && p.x >= cutoff)
    .sort((a, b) => a.x - b.x);
  const first = raw[0];
  const last = raw[raw.length - 1];
  if (!first || !last || raw.length < 3) {
    return { judged: false, reason: `${plural(raw.length, 'RSS sample')} after warm-up; at least 3 are needed` };
  }
  const spanS = (last.x - first.x) / 1000;
  if (spanS < t.leakMinSpanS) {
    return { judged: false, reason: `samples span ${formatMs(spanS * 1000)}; at least ${formatMs(t.leakMinSpanS * 1000)} is needed` };
  }
  const points = raw.map((p) => ({ x: (p.x - first.x) / 60_000, y: p.y }));
  const meanY = points.reduce((a, p) => a + p.y, 0) / points.length;
  const bytesPerMin = slope(points);
  const relative = (bytesPerMin: number): number => (meanY > 0 ? bytesPerMin / meanY : 0);
  const spanMin = spanS / 60;
  const third = spanMin / 3;
  const later = [points.filter((p) => p.x >= third && p.x <= 2 * third), points.filter((p) => p.x >= 2 * third)];
  // Each later third must keep growing at half the threshold at least; with too few samples in a third
  // the trend cannot be told from a step, and is not called sustained.
  const sustained = later.every((part) => part.length >= 2 && relative(slope(part)) > t.leakSlopePerMin / 2);
  const appGrowthBytes = bytesPerMin * spanMin - bridgeBufferBytes;
  const appSlope = spanMin > 0 ? relative(appGrowthBytes / spanMin) : 0;
  return {
    judged: true,
    slopePerMin: relative(bytesPerMin),
    mbPerMin: bytesPerMin / 1024 / 1024,
    spanS,
    samples: points.length,
    sustained,
    appGrowthBytes,
    leaking: relative(bytesPerMin) > t.leakSlopePerMin && sustained && appSlope > t.leakSlopePerMin,
  };
}

/** One line of evidence: the figures behind the verdict. */
export function trendEvidence(trend: Extract<MemoryTrend, { judged: true }>, t: Thresholds, bridgeBufferBytes = 0): string {
  const sign = trend.mbPerMin >= 0 ? '+' : '';
  const shape = trend.slopePerMin > t.leakSlopePerMin && !trend.sustained ? '; a step, then flat: not a sustained growth' : '';
  const bridge = bridgeBufferBytes > 0 ? `; ${formatMb(bridgeBufferBytes)} of it is the bridge's own buffers` : '';
  return `slope ${trend.slopePerMin.toFixed(3)}/min (${sign}${trend.mbPerMin.toFixed(1)} MB/min over ${formatMs(trend.spanS * 1000)}, ${trend.samples} samples; threshold ${t.leakSlopePerMin}/min)${shape}${bridge}`;
}
