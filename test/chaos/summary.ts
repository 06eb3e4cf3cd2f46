/**
 * `make chaos` ends with this: every scenario's counts from the run (`.run/chaos/counts.jsonl`, written by
 * `reportCounts`), one line each, and whether any scenario lost or doubled something.
 */
import { existsSync, readFileSync } from 'node:fs';
import { formatCounts, type ChaosCounts } from './counts.js';

const file = process.argv[2] ?? '.run/chaos/counts.jsonl';
const rows = existsSync(file)
  ? readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as ChaosCounts & { scenario: string })
  : [];
console.log(`\nchaos suite: ${rows.length} scenario(s) reported`);
let bad = 0;
for (const r of rows) {
  console.log(`  ${formatCounts(r.scenario, r).replace(/^CHAOS \[\w+\] /, '')}`);
  bad += (r.alerts?.lost ?? 0) + (r.posts?.duplicated ?? 0) + (r.actions?.executedTwice ?? 0);
}
console.log(bad === 0 ? 'nothing lost, nothing posted or executed twice' : `LOST OR DOUBLED: ${bad} (see the lines above)`);
