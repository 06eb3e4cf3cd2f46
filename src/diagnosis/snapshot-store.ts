/**
 * Debug snapshots kept for the incident: the packaged JSON document in Redis (30 days by default), listed
 * per scope — the incident id when the snapshot was taken for one, else the channel (and thread). A thin
 * adapter: the document itself is built by `packageSnapshot`.
 */
import type { RedisClient } from '../redis/connect.js';

export const SNAPSHOT_TTL_S = 30 * 86_400;
/** Snapshots listed per scope (newest first); older ones stay readable by key until they expire. */
export const SNAPSHOTS_PER_SCOPE = 20;

export interface StoredSnapshotRef {
  readonly key: string;
  readonly filename: string;
  readonly runtime: string;
  readonly taken_at: string;
  readonly bytes: number;
}

export function snapshotScope(where: { incident_id?: string | undefined; channel: string; thread_ts?: string | undefined }): string {
  return where.incident_id ? `incident:${where.incident_id}` : `channel:${where.channel}${where.thread_ts ? `:${where.thread_ts}` : ''}`;
}

export class SnapshotStore {
  constructor(private readonly redis: RedisClient, private readonly keyPrefix: string, private readonly ttlS = SNAPSHOT_TTL_S) {}

  private listKey(scope: string): string {
    return `${this.keyPrefix}guide:snapshots:${scope}`;
  }

  /** Stores one document under a key derived from runtime and time; idempotent for a retried job. */
  async keep(scope: string, ref: { filename: string; runtime: string; taken_at: string }, content: string): Promise<StoredSnapshotRef> {
    const key = `${this.keyPrefix}guide:snapshot:${ref.runtime}:${ref.taken_at}`;
    const stored: StoredSnapshotRef = { key, filename: ref.filename, runtime: ref.runtime, taken_at: ref.taken_at, bytes: Buffer.byteLength(content) };
    const entry = JSON.stringify(stored);
    const list = this.listKey(scope);
    await this.redis
      .multi()
      .set(key, content, 'EX', this.ttlS)
      .lrem(list, 0, entry)
      .lpush(list, entry)
      .ltrim(list, 0, SNAPSHOTS_PER_SCOPE - 1)
      .expire(list, this.ttlS)
      .exec();
    return stored;
  }

  async list(scope: string): Promise<StoredSnapshotRef[]> {
    const raw = await this.redis.lrange(this.listKey(scope), 0, -1);
    return raw.map((r) => JSON.parse(r) as StoredSnapshotRef);
  }

  async read(key: string): Promise<string | null> {
    return this.redis.get(key);
  }
}
