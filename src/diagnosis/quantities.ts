/** How reports write quantities: durations, sizes, shares. Plain text, stable across locales. */

/** 12 ms, 340 ms, 2.1 s, 3 min 5 s */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const totalS = Math.round(ms / 1000);
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const s = totalS % 60;
  if (h > 0) return `${h} h ${m} min`;
  return s ? `${m} min ${s} s` : `${m} min`;
}

/** Bytes as MB with one decimal: "81.2 MB". */
export function formatMb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** A 0..1 share as a percentage: "2.5 %". */
export function formatShare(share: number): string {
  return `${(share * 100).toFixed(1)} %`;
}

/** A 0..100 value as a percentage: "41 %". */
export function formatPercent(value: number): string {
  return `${Number.isInteger(value) ? value : value.toFixed(1)} %`;
}

/** "1 message", "3 messages" */
export function plural(n: number, word: string, pluralWord = `${word}s`): string {
  return `${n} ${n === 1 ? word : pluralWord}`;
}

/** Milliseconds since the epoch of an ISO time, or NaN. */
export function toMs(iso: string | null | undefined): number {
  return iso ? Date.parse(iso) : Number.NaN;
}

/** A true count with thousands separators: "1,310". */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
