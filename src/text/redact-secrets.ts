/**
 * Redaction by value: in any text (an application's exception message or traceback, a log line, a URL, a
 * state value) the secret part of what has a secret's shape becomes `***` and the rest is kept — the password
 * of `scheme://user:pass@host`, the value of `password=` / `pwd=` / `?apikey=` / `"token": "…"`, an
 * `Authorization` / `Bearer` / `Basic` credential, the token shapes of the major providers, PEM private keys.
 *
 * The bridge applies the same rules before it answers (`bridge/src/autogen_ops_bridge/redaction.py`); the bot
 * applies them again to everything it reads from a bridge, so a bridge that misses one (an older version, a
 * gap) still cannot put a credential into a Slack channel. Both test suites read the cases of
 * `test/fixtures/redaction-cases.json`.
 *
 * Every pattern is linear in the length of untrusted text: a match starts at a literal (a secret word, `://`,
 * a token prefix — tokens only where a run of token characters starts), every repeat is over one character
 * class that what follows cannot match, and a failed attempt scans either a bounded distance (≤ 256) or a run
 * that no later attempt scans again. Nothing nests quantifiers over overlapping classes.
 */

/** What a secret is replaced by. */
export const MASK = '***';

export interface ValueRule {
  readonly name: string;
  /** Exactly three groups: kept prefix, the secret (masked), kept suffix. Global. */
  readonly pattern: RegExp;
  /** Literals one of which every match contains (in lower case when the rule ignores case). */
  readonly triggers: readonly string[];
  readonly ignoresCase: boolean;
}

function rule(name: string, source: string, triggers: readonly string[], ignoresCase = false): ValueRule {
  return { name, pattern: new RegExp(source, ignoresCase ? 'gi' : 'g'), triggers, ignoresCase };
}

/** `prefix` (fixed width) only where a run of `run` characters starts: "sk-" but not in "task-sk-". */
const runStart = (prefix: string, run: string): string => `${prefix}(?<![${run}]${prefix})`;

const TOKEN_RUN = 'A-Za-z0-9_-';

/** A provider's token: one of `prefixes` where a token starts (kept, with `keptTail`), then `body`. */
function token(
  name: string, prefixes: readonly string[], body: string, triggers: readonly string[],
  opts: { run?: string; keptTail?: string; after?: string } = {},
): ValueRule {
  const kept = prefixes.map((p) => runStart(p, opts.run ?? TOKEN_RUN)).join('|');
  return rule(name, `((?:${kept})${opts.keptTail ?? ''})(${body})()${opts.after ?? ''}`, triggers);
}

// A key name in text ends with a word that names a secret ("DB_PASSWORD", "x-api-key", "AccountKey"; not
// "max_tokens" or "KeyError"); a short, ambiguous word counts only alone or after a separator ("db_pass").
const SHORT_WORDS = ['pass', 'pwd', 'sig', 'auth', 'session', 'dsn'].map((w) => runStart(w, 'a-z0-9')).join('|');
const ANY_NAME = `(?:password|passwd|passphrase|secret|token|key|signature|credentials?|authorization|cookie|${SHORT_WORDS})`;
// With ':' (headers, YAML, log fields) only names that are no parser's or prose's words ("unexpected token:
// '}'", "missing key: 'id'") — unless the name is quoted, as in JSON and Python reprs ("'token': …").
const FIELD_NAME = String.raw`(?:password|passwd|passphrase|secret|authorization|credentials?|cookie|api[_-]?key|private[_-]?key|access[_-]?key|secret[_-]?key|account[_-]?key|token(?<=[_.-]token))`;
const QUOTE = String.raw`\\?["']`;
const SPACE = String.raw` \t\n\v\f\r`;
const AUTH_SCHEME = String.raw`(?:(?:bearer|basic|token|digest|negotiate)[ \t]{1,3})?`;
// '=' with no space around it, or spaced when a quoted value follows: "token = get_token()" and "==" stay.
const ASSIGN = String.raw`${QUOTE}?(?:=(?![=${SPACE}])|[ \t]{1,3}=[ \t]{0,3}(?=${QUOTE})|=[ \t]{1,3}(?=${QUOTE}))${QUOTE}?`;
// ':' not followed by a Python type name, so a traceback's "def login(password: str)" stays readable.
const FIELD = String.raw`[ \t]{0,3}:(?![:/])[ \t]{0,3}(?!(?:str|bytes|int|bool|none|optional|secretstr|any)\b)${QUOTE}?`;
// The value: up to its closing quote when quoted (≤ 256 characters), else up to a space or a delimiter.
const VALUE = String.raw`(?:(?<=")[^"\\\r\n]{1,256}(?=\\?")|(?<=')[^'\\\r\n]{1,256}(?=\\?')|[^${SPACE}"'${'`'},;&<>()\[\]{}\\]+)`;
const NAME_TRIGGERS = ['pass', 'pwd', 'secret', 'token', 'key', 'sig', 'credential', 'auth', 'cookie', 'session', 'dsn'];

/** The rules, in the order they are applied (the same names and order as the bridge's). */
export const VALUE_RULES: readonly ValueRule[] = [
  // The body up to the END line (or to the end of a cut-off text); "-" only where no END line starts.
  rule('pem-private-key', '(-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY-----)([^-]*(?:-(?!----END )[^-]*)*)(-----END [A-Z0-9 ]{0,40}PRIVATE KEY-----|)', ['PRIVATE KEY']),
  // scheme://user:password@host — the password up to the last "@" before the host; the user is kept.
  rule('url-credentials', `(://[^${SPACE}:/?#]*:)([^${SPACE}/?#]+)(@)`, ['://']),
  rule('slack-webhook', String.raw`(hooks\.slack\.com/(?:services|workflows|triggers)/)([A-Za-z0-9/_-]+)()`, ['hooks.slack.com']),
  rule('key-value', `(${ANY_NAME}${ASSIGN}${AUTH_SCHEME})(${VALUE})()`, NAME_TRIGGERS, true),
  rule('key-field', `(${FIELD_NAME}${QUOTE}?${FIELD}${AUTH_SCHEME})(${VALUE})()`, NAME_TRIGGERS, true),
  rule('quoted-key-field', `(${ANY_NAME}${QUOTE}${FIELD}${AUTH_SCHEME})(${VALUE})()`, NAME_TRIGGERS, true),
  // A whole value that is an Authorization header's ("Bearer abc"), whatever the credential looks like.
  rule('auth-header-value', String.raw`^((?:bearer|basic)[ \t]{1,3})([a-z0-9._~+/-]{6,}=*)()(?![\s\S])`, ['bearer', 'basic'], true),
  // A bare credential after an auth scheme in text: only token-like (a digit or "=" padding), so "Basic
  // usage" and "Bearer token expired" stay.
  rule('auth-scheme', String.raw`((?:bearer|basic)[ \t]{1,3})((?=[a-z._~+/-]*[0-9=])[a-z0-9._~+/-]{8,}=*)()`, ['bearer', 'basic'], true),
  // Provider token shapes. The recognisable prefix is kept: a reader still sees what kind of key it was.
  token('openai-anthropic-key', ['sk-'], '(?=[A-Za-z_-]*[0-9])[A-Za-z0-9_-]{20,}', ['sk-'], { keptTail: '(?:ant-|proj-|svcacct-|admin-)?' }),
  token('stripe-key', ['[spr]k_'], '[A-Za-z0-9]{10,}', ['_live_', '_test_'], { run: 'A-Za-z0-9_', keptTail: '(?:live|test)_' }),
  token('stripe-webhook-secret', ['whsec_'], '[A-Za-z0-9]{10,}', ['whsec_'], { run: 'A-Za-z0-9_' }),
  token('slack-token', ['xox[abeoprs]-', 'xapp-'], '[A-Za-z0-9-]{10,}', ['xox', 'xapp-']),
  token('github-token', ['gh[pousr]_', 'github_pat_'], '[A-Za-z0-9_]{30,}', ['gh', 'github_pat_'], { run: 'A-Za-z0-9_' }),
  token('gitlab-token', ['glpat-'], '[A-Za-z0-9_-]{20,}', ['glpat-']),
  token('huggingface-token', ['hf_'], '[A-Za-z0-9]{30,}', ['hf_'], { run: 'A-Za-z0-9_' }),
  token('aws-access-key-id', ['A[KS]IA'], '[A-Z0-9]{16}', ['AKIA', 'ASIA'], { run: 'A-Za-z0-9', after: '(?![A-Za-z0-9])' }),
  token('google-api-key', ['AIza'], '[A-Za-z0-9_-]{30,}', ['AIza']),
  token('google-oauth-token', [String.raw`ya29\.`], '[A-Za-z0-9_-]{20,}', ['ya29.']),
  // header.payload.signature, both JSON objects (base64url of '{"' is "eyJ").
  token('jwt', ['eyJ'], String.raw`[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*`, ['eyJ']),
];

// Any rule's trigger, whatever its case: one quick search that lets most strings (times, names, ids) through.
const ANY_TRIGGER = new RegExp(
  [...new Set(VALUE_RULES.flatMap((r) => r.triggers))].map((t) => t.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')).join('|'), 'i');

const mask = (_match: string, kept: string, _secret: string, keptAfter: string): string => `${kept}${MASK}${keptAfter}`;

/** `text` with every secret-shaped part masked. */
export function redactText(text: string): string {
  if (!ANY_TRIGGER.test(text)) return text;
  let lower = text.toLowerCase();
  for (const r of VALUE_RULES) {
    const subject = r.ignoresCase ? lower : text;
    if (!r.triggers.some((t) => subject.includes(t))) continue;
    const redacted = text.replace(r.pattern, mask);
    if (redacted !== text) {
      text = redacted;
      lower = text.toLowerCase();
    }
  }
  return text;
}

/**
 * `value` (parsed JSON) with every string in it through `redactText`; keys are not judged by name (a bridge
 * answer's field names — `agent_key`, `max_tokens` — are no secrets). Arrays and objects are copied where
 * something changed; nothing is modified in place.
 */
export function redactStrings<T>(value: T): T {
  return walk(value) as T;
}

function walk(value: unknown): unknown {
  if (typeof value === 'string') return redactText(value);
  if (Array.isArray(value)) {
    let changed = false;
    const items = value.map((item: unknown) => {
      const out = walk(item);
      if (out !== item) changed = true;
      return out;
    });
    return changed ? items : value;
  }
  if (value !== null && typeof value === 'object') {
    let changed = false;
    const entries = Object.entries(value).map(([k, item]): [string, unknown] => {
      const out = walk(item);
      if (out !== item) changed = true;
      return [k, out];
    });
    return changed ? Object.fromEntries(entries) : value;
  }
  return value;
}
