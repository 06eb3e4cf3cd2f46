/**
 * Loads `runbooks/*.yaml` and validates each file against the strict schema. Every problem in every file
 * is reported at once, each naming the file, the line:column and the path inside the document, e.g.
 * `runbooks/cascade.yaml:14:15 steps[0].action: unknown action "nuke" (known: isolate, release, …)`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import type { z } from 'zod';
import { runbookSchema, type Runbook } from './runbook-schema.js';

export interface RunbookProblem {
  /** The file as given (relative to the working directory when possible). */
  readonly file: string;
  /** 1-based line and column of the offending node, when the YAML has one. */
  readonly line?: number;
  readonly col?: number;
  /** Path inside the document, e.g. `steps[0].params.max_inflight` (empty for the whole file). */
  readonly path: string;
  readonly message: string;
}

export function formatProblem(p: RunbookProblem): string {
  const where = p.line !== undefined ? `${p.file}:${p.line}:${p.col ?? 1}` : p.file;
  return `${where} ${p.path || '(document)'}: ${p.message}`;
}

export interface LoadedRunbooks {
  readonly runbooks: readonly Runbook[];
  readonly problems: readonly RunbookProblem[];
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out;
}

/** Turns one zod issue into a sentence a runbook author can act on. */
function describeIssue(issue: z.core.$ZodIssue, doc: Document): { path: PropertyKey[]; message: string } {
  const path = [...issue.path];
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => `"${k}"`).join(', ');
    // Point at the first unknown key itself, so the line number lands on it.
    return { path: [...path, issue.keys[0] ?? ''], message: `unknown key${issue.keys.length > 1 ? 's' : ''} ${keys} (not part of the runbook schema; see docs/runbooks.md)` };
  }
  if (issue.code === 'invalid_union' && 'discriminator' in issue && typeof issue.discriminator === 'string') {
    const disc = issue.discriminator;
    const options = ('options' in issue && Array.isArray(issue.options) ? issue.options : []).map(String);
    let given: unknown = doc.getIn(path, false);
    if (given === undefined && disc === 'select') {
      // A target written as a plain string is shorthand for { select: <string> }.
      const shorthand: unknown = doc.getIn(path.slice(0, -1) as (string | number)[], false);
      if (typeof shorthand === 'string') {
        given = shorthand;
        path.pop();
      }
    }
    const kind = disc === 'action' ? 'action' : disc === 'check' ? 'check' : disc === 'select' ? 'target' : disc;
    const what = given === undefined ? `missing "${disc}"` : `unknown ${kind} ${JSON.stringify(given)}`;
    return { path, message: `${what} (known: ${options.join(', ')})` };
  }
  return { path, message: issue.message };
}

function locate(doc: Document, lc: LineCounter, path: readonly PropertyKey[]): { line?: number; col?: number } {
  // Walk up the path until a node with a source range is found.
  for (let n = path.length; n >= 0; n--) {
    const sub = path.slice(0, n) as (string | number)[];
    let node: unknown;
    if (n > 0 && typeof sub[n - 1] === 'string') {
      // For a key, prefer the key node (where the author typed it).
      const parent = n > 1 ? doc.getIn(sub.slice(0, -1), true) : doc.contents;
      if (parent && typeof parent === 'object' && 'items' in parent && Array.isArray((parent as { items: unknown[] }).items)) {
        const pair = (parent as { items: { key?: unknown }[] }).items.find((it) => {
          const k = it.key;
          return isNode(k) && 'value' in k && (k as { value: unknown }).value === sub[n - 1];
        });
        if (pair && isNode(pair.key)) node = pair.key;
      }
    }
    node ??= n === 0 ? doc.contents : doc.getIn(sub, true);
    if (isNode(node) && node.range) {
      const pos = lc.linePos(node.range[0]);
      return { line: pos.line, col: pos.col };
    }
  }
  return {};
}

/** Parses and validates one runbook text. `file` is only used in messages. */
export function parseRunbook(text: string, file: string): { runbook?: Runbook; problems: RunbookProblem[] } {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      problems: doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        return { file, path: '', message: `YAML syntax: ${(e.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')}`, ...(pos ? { line: pos.line, col: pos.col } : {}) };
      }),
    };
  }
  let data: unknown;
  try {
    // throws on an alias whose anchor is not set before it, and on alias expansion beyond the bound (a bomb)
    data = doc.toJS({ maxAliasCount: 50 });
  } catch (err) {
    return { problems: [{ file, path: '', message: `YAML aliases: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]?.slice(0, 200) ?? ''}` }] };
  }
  const result = runbookSchema.safeParse(data);
  if (!result.success) {
    return {
      problems: result.error.issues.map((issue) => {
        const { path, message } = describeIssue(issue, doc);
        return { file, path: formatPath(path), message, ...locate(doc, lc, path) };
      }),
    };
  }
  const stem = basename(file).replace(/\.ya?ml$/, '');
  if (result.data.id !== stem) {
    return { problems: [{ file, path: 'id', message: `id "${result.data.id}" must equal the file name "${stem}"`, ...locate(doc, lc, ['id']) }] };
  }
  return { runbook: result.data, problems: [] };
}

/** Loads every `*.yaml`/`*.yml` file in `dir` (sorted by name); duplicate ids are problems too. */
export function loadRunbookDir(dir: string): LoadedRunbooks {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /\.ya?ml$/.test(n)).sort();
  } catch (err) {
    return { runbooks: [], problems: [{ file: dir, path: '', message: `cannot read the runbook folder: ${(err as Error).message}` }] };
  }
  const runbooks: Runbook[] = [];
  const problems: RunbookProblem[] = [];
  const seen = new Map<string, string>();
  for (const name of names) {
    const full = join(dir, name);
    const shown = relative(process.cwd(), full) || full;
    let text: string;
    try {
      text = readFileSync(full, 'utf8');
    } catch (err) {
      problems.push({ file: shown, path: '', message: `cannot read: ${(err as Error).message}` });
      continue;
    }
    const parsed = parseRunbook(text, shown);
    problems.push(...parsed.problems);
    if (parsed.runbook) {
      const other = seen.get(parsed.runbook.id);
      if (other) problems.push({ file: shown, path: 'id', message: `id "${parsed.runbook.id}" is already used by ${other}` });
      else {
        seen.set(parsed.runbook.id, shown);
        runbooks.push(parsed.runbook);
      }
    }
  }
  return { runbooks, problems };
}
