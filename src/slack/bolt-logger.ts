/** Bolt's logger interface on top of our pino logger (so Bolt's own messages are JSON and redacted). */
import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from '../log.js';

export function boltLogger(logger: Logger): BoltLogger {
  const log = logger.child({ component: 'bolt' });
  let level: LogLevel = LogLevel.INFO;
  const fmt = (msgs: unknown[]): string => msgs.map((m) => (typeof m === 'string' ? m : m instanceof Error ? m.message : JSON.stringify(m))).join(' ');
  return {
    // format only when the level is on: Bolt logs on every request and stringifying is not free
    debug: (...m: unknown[]) => { if (log.isLevelEnabled('debug')) log.debug(fmt(m)); },
    info: (...m: unknown[]) => { if (log.isLevelEnabled('info')) log.info(fmt(m)); },
    warn: (...m: unknown[]) => { if (log.isLevelEnabled('warn')) log.warn(fmt(m)); },
    error: (...m: unknown[]) => { if (log.isLevelEnabled('error')) log.error(fmt(m)); },
    setLevel: (l: LogLevel) => { level = l; },
    getLevel: () => level,
    setName: () => undefined,
  };
}
