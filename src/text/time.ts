/**
 * Clock times as people read them in messages, defined once. A leaf module: it imports nothing of the
 * project.
 */

/** `14:05 UTC` for epoch milliseconds. */
export function hhmm(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 16)} UTC`;
}

/** `14:05:09 UTC`, for waits shorter than a few minutes. */
export function hhmmss(d: Date): string {
  return `${d.toISOString().slice(11, 19)} UTC`;
}
