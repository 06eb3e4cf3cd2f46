/**
 * `make eval`: runs the whole fault matrix against live applications and prints the table (case, tool,
 * expected, got, ok) as Markdown and the score. Exit code 1 when a case is wrong, 2 on bad arguments.
 *
 *   npx tsx test/eval/run.ts [case ids…] [--concurrency N] [--bridge-src DIR]
 *
 * The bot's settings come from the environment as in production (`AUTOGEN_THRESHOLDS`,
 * `DIAGNOSE_LOG_WINDOW_S`, `BRIDGE_TIMEOUT_MS`, …); `--bridge-src` runs the applications on another
 * checkout's bridge (e.g. to score an older one).
 */
import { parseArgs } from 'node:util';
import { fleetPython } from '../support/fleet.js';
import { CASES } from './cases.js';
import { runMatrix } from './matrix.js';
import { formatMatrix } from './score.js';

const BOT_ENV = /^(AUTOGEN_THRESHOLDS|AUTOGEN_RUNTIME_EVAL_.+_THRESHOLDS|DIAGNOSE_LOG_WINDOW_S|BRIDGE_TIMEOUT_MS|BRIDGE_CONNECT_TIMEOUT_MS)$/;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { concurrency: { type: 'string' }, 'bridge-src': { type: 'string' } },
  });
  const cases = positionals.length ? CASES.filter((c) => positionals.includes(c.id)) : CASES;
  const unknown = positionals.filter((id) => !CASES.some((c) => c.id === id));
  const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency);
  if (unknown.length || (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency > 0))) {
    console.error(`usage: run.ts [${CASES.map((c) => c.id).join(' ')}] [--concurrency N] [--bridge-src DIR]${unknown.length ? ` (unknown: ${unknown.join(', ')})` : ''}`);
    return 2;
  }
  const botEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => BOT_ENV.test(k)));
  const started = Date.now();
  const results = await runMatrix(cases, {
    python: fleetPython(),
    botEnv,
    ...(concurrency ? { concurrency } : {}),
    ...(values['bridge-src'] ? { pythonPath: [values['bridge-src']] } : {}),
    onCase: (r) => console.error(`${r.ok ? 'right' : 'WRONG'}  ${r.id}. ${r.title}`),
  });
  console.log(formatMatrix(results));
  console.error(`(${((Date.now() - started) / 1000).toFixed(0)} s)`);
  return results.every((r) => r.ok) ? 0 : 1;
}

main().then((code) => process.exit(code), (err: unknown) => {
  console.error(err);
  process.exit(2);
});
