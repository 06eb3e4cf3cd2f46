/**
 * `/autogen snapshot [runtime]` — the guide's debug snapshot (§3.2 `create_debug_snapshot`): runtime and
 * agents, the recent 50 messages, configuration with secrets redacted, environment. Packaged as one JSON
 * file for the incident, with a health reading of the same data as the message. Pure.
 *
 * The bridge already redacts and the bridge client masks secret-shaped values in every answer; this pass
 * adds the rule by name (the whole value under a key that names a secret) for the file kept with the incident,
 * and reports what it changed, so that a bridge with a gap never leaks a credential into a Slack channel.
 */
import type { Snapshot } from '../runtime/schemas.js';
import { assembleReport, type GuideReport, type ReportAttachment, type ReportSection } from './guide-report.js';
import { evaluateHealth } from './health.js';
import { formatMb, plural } from './quantities.js';
import type { Thresholds } from './thresholds.js';
import { MASK, redactText } from '../text/redact-secrets.js';

export const REDACTED = MASK;

/** Keys whose values are secrets. */
const SECRET_KEY_RE = /(pass(word|wd)?|secret|token|api[-_]?key|apikey|private[-_]?key|credential|auth(orization)?|cookie|session|signing|dsn)$|^(key)$/i;

export interface RedactionResult<T> {
  readonly value: T;
  /** Paths of the values this pass redacted (the bridge's own `***` are not counted). */
  readonly redactedPaths: readonly string[];
}

/** A deep copy with secrets replaced by `***`. */
export function redactSecrets<T>(value: T, path = '$'): RedactionResult<T> {
  const paths: string[] = [];
  const walk = (v: unknown, p: string, keyIsSecret: boolean): unknown => {
    if (typeof v === 'string') {
      if (v === REDACTED || v === '') return v;
      if (keyIsSecret) {
        paths.push(p);
        return REDACTED;
      }
      // By value (src/text/redact-secrets.ts): only the secret part of the string is masked.
      const masked = redactText(v);
      if (masked !== v) paths.push(p);
      return masked;
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${p}[${i}]`, keyIsSecret));
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        const secret = SECRET_KEY_RE.test(k);
        if (secret && x != null && typeof x !== 'object' && typeof x !== 'boolean' && x !== REDACTED && x !== '') {
          paths.push(`${p}.${k}`);
          out[k] = REDACTED;
        } else {
          out[k] = walk(x, `${p}.${k}`, secret);
        }
      }
      return out;
    }
    return v;
  };
  return { value: walk(value, path, false) as T, redactedPaths: paths };
}

export interface SnapshotInput {
  readonly runtime: string;
  readonly snapshot: Snapshot;
  readonly thresholds: Thresholds;
  readonly now: Date;
  /** Slack user id that asked, recorded in the file. */
  readonly requestedBy?: string | null;
  /** Incident the snapshot belongs to, when run from an incident thread. */
  readonly incidentId?: string | null;
}

export interface PackagedSnapshot {
  readonly report: GuideReport;
  readonly file: ReportAttachment;
  readonly redactedPaths: readonly string[];
}

function outcomeCounts(s: Snapshot): string {
  const counts = new Map<string, number>();
  for (const m of s.recent_messages) counts.set(m.outcome, (counts.get(m.outcome) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([o, n]) => `${n} ${o}`).join(', ') || 'none';
}

export function packageSnapshot(input: SnapshotInput): PackagedSnapshot {
  const { snapshot: s } = input;
  const { value: clean, redactedPaths } = redactSecrets(s);
  const document = {
    kind: 'autogen-ops.debug-snapshot',
    version: 1,
    runtime: input.runtime,
    taken_at: s.taken_at,
    packaged_at: input.now.toISOString(),
    requested_by: input.requestedBy ?? null,
    incident_id: input.incidentId ?? null,
    redacted_by_bot: redactedPaths,
    snapshot: clean,
  };
  const content = JSON.stringify(document, null, 2);
  const stamp = s.taken_at.replace(/[-:]/g, '').replace(/\.\d+/, '').slice(0, 15);
  const file: ReportAttachment = {
    filename: `snapshot-${input.runtime}-${stamp}.json`,
    title: `Debug snapshot of ${input.runtime} at ${s.taken_at}`,
    mimeType: 'application/json',
    content,
  };
  const health = evaluateHealth({ runtime: input.runtime, info: s.runtime, agents: s.agents, thresholds: input.thresholds, now: input.now });
  const env = (clean.environment ?? {}) as Record<string, unknown>;
  const packages = env['packages'] && typeof env['packages'] === 'object' ? Object.keys(env['packages'] as object).length : 0;
  const sections: ReportSection[] = [
    {
      title: 'Snapshot',
      lines: [
        `Taken ${s.taken_at}; runtime ${s.runtime.name}, RSS ${s.runtime.rss_bytes != null ? formatMb(s.runtime.rss_bytes) : 'n/a'}, queue ${s.runtime.queue_depth}`,
        `${plural(s.agents.length, 'agent type')}; ${plural(s.recent_messages.length, 'recent message')} (${outcomeCounts(s)})`,
        `Configuration: ${plural(Object.keys(clean.config ?? {}).length, 'key')}; environment: ${String(env['python'] ?? 'python ?')}, ${String(env['platform'] ?? 'platform ?')}, ${plural(packages, 'package')}`,
        `Secrets: redacted by the bridge${redactedPaths.length ? `; ${plural(redactedPaths.length, 'more value')} redacted by the bot` : ''}`,
        `File: ${file.filename} (${Math.ceil(content.length / 1024)} KB), kept with ${input.incidentId ? `incident ${input.incidentId}` : 'this channel'}`,
      ],
    },
    ...health.sections,
  ];
  const report = assembleReport({
    tool: 'snapshot',
    runtime: input.runtime,
    subject: `Snapshot of ${input.runtime}`,
    now: input.now,
    findings: health.findings,
    sections,
    attachment: file,
    collected: ['debug snapshot (runtime, agents, 50 recent messages, configuration, environment)'],
    verifyCommand: `/autogen health ${input.runtime}`,
    snapshotCommand: `/autogen snapshot ${input.runtime}`,
    healthyHeadline: `Snapshot of ${input.runtime} taken; the runtime looks healthy`,
  });
  return { report, file, redactedPaths };
}
