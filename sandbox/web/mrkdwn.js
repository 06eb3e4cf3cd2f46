// Slack mrkdwn → a small tree of text nodes, for the sandbox page (sandbox/web/app.js turns it into DOM
// with textContent only; nothing here is ever HTML). Pure, no DOM: unit-tested in test/sandbox/mrkdwn.test.ts.
// Minimal on purpose: *bold*, _italic_, ~strike~, `code`, ```blocks```, <url|label> links, <@U…> mentions as
// @name, <#C…|name>, <!subteam^S…> as @handle, <!here>, <!date^…|fallback>, &lt; &gt; &amp;, a few :emoji:.

const EMOJI = {
  white_check_mark: '✅', x: '❌', no_entry: '⛔', warning: '⚠️', test_tube: '🧪', open: '🔓',
  large_orange_diamond: '🔶', arrows_counterclockwise: '🔄', white_small_square: '▫️', rotating_light: '🚨',
  red_circle: '🔴', pushpin: '📌', link: '🔗', leftwards_arrow_with_hook: '↩️', large_orange_circle: '🟠',
  large_green_circle: '🟢', information_source: 'ℹ️', hourglass_flowing_sand: '⏳', hourglass: '⌛',
  heavy_minus_sign: '➖', double_vertical_bar: '⏸️', mag: '🔍', fire: '🔥', lock: '🔒', bell: '🔔',
  heavy_check_mark: '✔️', eyes: '👀', page_facing_up: '📄', clipboard: '📋', gear: '⚙️', zap: '⚡',
  large_blue_circle: '🔵', black_circle: '⚫', white_circle: '⚪', small_orange_diamond: '🔸',
  small_blue_diamond: '🔹', arrow_right: '➡️', robot_face: '🤖', stopwatch: '⏱️', bar_chart: '📊',
};

/** `&lt;` `&gt;` `&amp;` back to characters (Slack escapes exactly these three). */
export function decodeEntities(text) {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** Known `:shortcode:` emoji as characters; unknown ones stay as typed. */
export function emojify(text) {
  return text.replace(/:([a-z0-9_+-]+):/g, (m, name) => (Object.prototype.hasOwnProperty.call(EMOJI, name) ? EMOJI[name] : m));
}

const SAFE_URL = /^(https?:|mailto:)/i;

/** One `<…>` token: a link, a mention, a channel, a group, a special mention or a date. */
function angle(body, names) {
  const bar = body.indexOf('|');
  const target = bar >= 0 ? body.slice(0, bar) : body;
  const label = bar >= 0 ? decodeEntities(body.slice(bar + 1)) : undefined;
  if (target.startsWith('@')) {
    const id = target.slice(1);
    return { t: 'mention', v: `@${names.users?.[id] ?? label ?? id}` };
  }
  if (target.startsWith('#')) {
    const id = target.slice(1);
    return { t: 'mention', v: `#${names.channels?.[id] ?? label ?? id}` };
  }
  if (target.startsWith('!subteam^')) {
    const id = target.slice('!subteam^'.length);
    const handle = names.groups?.[id] ?? (label ? label.replace(/^@/, '') : id);
    return { t: 'mention', v: `@${handle}` };
  }
  if (target.startsWith('!date^')) {
    const epoch = Number(target.split('^')[1]);
    const fallback = label ?? (Number.isFinite(epoch) ? new Date(epoch * 1000).toISOString() : target);
    return { t: 'text', v: fallback };
  }
  if (target.startsWith('!')) return { t: 'mention', v: `@${label ?? target.slice(1)}` };
  const href = decodeEntities(target);
  if (SAFE_URL.test(href)) return { t: 'link', href, label: label ?? href };
  return { t: 'text', v: label ?? href };
}

const STYLES = { '*': 'b', _: 'i', '~': 's' };
const OPEN_BEFORE = /[\s([{"'>*_~-]/;
const CLOSE_AFTER = /[\s)\]}.,;:!?"'<*_~-]/;

/** Index of the `<` … `>` end from `i` (at `<`), or -1. */
function angleEnd(text, i) {
  const j = text.indexOf('>', i + 1);
  if (j < 0) return -1;
  const nl = text.indexOf('\n', i + 1);
  return nl >= 0 && nl < j ? -1 : j;
}

/** The closing `marker` of a styled span opened at `i`, on the same line, skipping `<…>` and `code`. */
function closingMarker(text, i, marker) {
  for (let j = i + 1; j < text.length; j += 1) {
    const c = text[j];
    if (c === '\n') return -1;
    if (c === '<') { const e = angleEnd(text, j); if (e > 0) { j = e; continue; } }
    if (c === '`') { const e = text.indexOf('`', j + 1); if (e > 0) { j = e; continue; } }
    if (c === marker && j > i + 1 && text[j - 1] !== ' ' && (j + 1 === text.length || CLOSE_AFTER.test(text[j + 1]))) return j;
  }
  return -1;
}

function pushText(out, v) {
  if (v === '') return;
  const last = out[out.length - 1];
  if (last && last.t === 'text') last.v += v;
  else out.push({ t: 'text', v });
}

/**
 * Parses Slack mrkdwn into nodes: `{t:'text',v}`, `{t:'b'|'i'|'s',children}`, `{t:'code',v}`,
 * `{t:'pre',v}`, `{t:'link',href,label}` (http, https and mailto only), `{t:'mention',v}`, `{t:'br'}`.
 * `names`: `{ users: {id: name}, channels: {id: name}, groups: {id: handle} }`.
 */
export function parseMrkdwn(text, names = {}) {
  const out = [];
  let buf = '';
  const flush = () => { pushText(out, emojify(decodeEntities(buf))); buf = ''; };
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (text.startsWith('```', i)) {
      const end = text.indexOf('```', i + 3);
      if (end > 0) {
        flush();
        out.push({ t: 'pre', v: decodeEntities(text.slice(i + 3, end).replace(/^\n/, '')) });
        i = end + 3;
        continue;
      }
    }
    if (c === '`') {
      const end = text.indexOf('`', i + 1);
      const nl = text.indexOf('\n', i + 1);
      if (end > i + 1 && (nl < 0 || end < nl)) {
        flush();
        out.push({ t: 'code', v: decodeEntities(text.slice(i + 1, end)) });
        i = end + 1;
        continue;
      }
    }
    if (c === '<') {
      const end = angleEnd(text, i);
      if (end > i + 1) {
        flush();
        const node = angle(text.slice(i + 1, end), names);
        if (node.t === 'text') pushText(out, node.v);
        else out.push(node);
        i = end + 1;
        continue;
      }
    }
    if (c in STYLES && (i === 0 || OPEN_BEFORE.test(text[i - 1])) && i + 1 < text.length && !/\s/.test(text[i + 1])) {
      const end = closingMarker(text, i, c);
      if (end > 0) {
        flush();
        out.push({ t: STYLES[c], children: parseMrkdwn(text.slice(i + 1, end), names) });
        i = end + 1;
        continue;
      }
    }
    if (c === '\n') {
      flush();
      out.push({ t: 'br' });
      i += 1;
      continue;
    }
    buf += c;
    i += 1;
  }
  flush();
  return out;
}

/** The plain text of parsed nodes (for titles and tests). */
export function nodesText(nodes) {
  return nodes.map((n) => {
    if (n.t === 'br') return '\n';
    if (n.t === 'link') return n.label;
    if (n.children) return nodesText(n.children);
    return n.v;
  }).join('');
}
