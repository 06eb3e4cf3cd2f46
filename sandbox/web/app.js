// The sandbox page (served by sandbox/web.ts): channels, the bot's messages with their threads, Block Kit,
// ephemerals, files, live over server-sent events; a composer sending slash commands and buttons sending
// block_actions, both as the chosen user (the server signs them exactly as Slack does). Everything the bot
// or a user wrote is put in the page as text nodes (textContent), never as HTML.
/* global document, window, fetch, EventSource, localStorage, requestAnimationFrame */
import { emojify, nodesText, parseMrkdwn } from './mrkdwn.js';

const S = {
  channels: [], users: [], groups: [], bot: { id: '', name: 'bot' }, command: '/autogen', script: [], panel: false,
  messages: new Map(), // `${channel} ${ts}` → message
  ephemerals: [],
  files: new Map(),
  channel: '', user: '',
  unread: new Map(),
  faults: undefined,
};
const $ = (id) => document.getElementById(id);

// --- DOM helpers (text only) ---------------------------------------------------------------------------------

function el(tag, props = {}, children = []) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') e.textContent = v;
    else if (k === 'class') e.className = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of [].concat(children)) if (c) e.append(c);
  return e;
}

function names() {
  const users = Object.fromEntries(S.users.map((u) => [u.id, u.name]));
  users[S.bot.id] = S.bot.name;
  return { users, channels: Object.fromEntries(S.channels.map((c) => [c.id, c.name])), groups: Object.fromEntries(S.groups.map((g) => [g.id, g.handle])) };
}

function renderNodes(nodes) {
  return nodes.map((n) => {
    switch (n.t) {
      case 'text': return document.createTextNode(n.v);
      case 'br': return el('br');
      case 'code': return el('code', { text: n.v });
      case 'pre': return el('pre', { text: n.v });
      case 'mention': return el('span', { class: 'mention', text: n.v });
      case 'link': return el('a', { href: n.href, target: '_blank', rel: 'noopener noreferrer', text: n.label });
      default: return el(n.t, {}, renderNodes(n.children));
    }
  });
}

/** A Block Kit text object (mrkdwn or plain_text) as DOM. */
function textObj(obj) {
  if (!obj || typeof obj.text !== 'string') return el('span');
  if (obj.type === 'mrkdwn') return el('span', { class: 'text' }, renderNodes(parseMrkdwn(obj.text, names())));
  return el('span', { class: 'text', text: obj.emoji === false ? obj.text : emojify(obj.text) });
}

function plain(obj) {
  if (!obj || typeof obj.text !== 'string') return '';
  return obj.type === 'mrkdwn' ? nodesText(parseMrkdwn(obj.text, names())) : emojify(obj.text);
}

// --- Block Kit ---------------------------------------------------------------------------------------------------

/** An interactive element: a button (with its confirmation dialog), a menu, or a note for what is not supported. */
function element(e, ctx, blockId) {
  if (e.type === 'button') {
    const b = el('button', {
      type: 'button', class: e.style || undefined, text: plain(e.text),
      dataset: { actionId: e.action_id ?? '', value: e.value ?? '' },
    });
    if (e.url) {
      return el('a', { href: /^https?:/i.test(e.url) ? e.url : '#', target: '_blank', rel: 'noopener noreferrer' }, [b]);
    }
    b.addEventListener('click', () => clickElement(b, e, ctx, blockId));
    return b;
  }
  if (e.type === 'static_select' || e.type === 'overflow') {
    const options = e.options ?? [];
    const s = el('select', { 'aria-label': plain(e.placeholder) || 'menu', dataset: { actionId: e.action_id ?? '' } },
      [el('option', { value: '', text: plain(e.placeholder) || '…' }), ...options.map((o) => el('option', { value: o.value, text: plain(o.text) }))]);
    s.addEventListener('change', () => { if (s.value) clickElement(s, e, ctx, blockId, s.value); });
    return s;
  }
  return el('span', { class: 'unsupported', text: `(${e.type} — not supported by the sandbox page)` });
}

function renderBlock(b, ctx) {
  switch (b.type) {
    case 'header': return el('div', { class: 'blk blk-header' }, [textObj(b.text)]);
    case 'divider': return el('hr', { class: 'divider' });
    case 'section': {
      const body = el('div', { class: 'body' }, [b.text ? textObj(b.text) : null]);
      if (Array.isArray(b.fields) && b.fields.length) body.append(el('div', { class: 'fields' }, b.fields.map((f) => el('div', {}, [textObj(f)]))));
      const acc = b.accessory && b.accessory.type === 'image' ? el('span', { class: 'unsupported', text: `[image: ${b.accessory.alt_text ?? ''}]` })
        : b.accessory ? element(b.accessory, ctx, b.block_id) : null;
      return el('div', { class: 'blk section' }, [body, acc]);
    }
    case 'context':
      return el('div', { class: 'blk blk-context' }, (b.elements ?? []).map((e) => (e.type === 'image' ? el('span', { text: `[${e.alt_text ?? 'image'}]` }) : textObj(e))));
    case 'actions':
      return el('div', { class: 'blk actions' }, (b.elements ?? []).map((e) => element(e, ctx, b.block_id)));
    case 'image':
      return el('div', { class: 'blk unsupported', text: `[image: ${b.alt_text ?? ''}]` });
    case 'rich_text':
      return el('div', { class: 'blk text', text: richText(b) });
    default:
      return el('div', { class: 'blk unsupported', text: `(${b.type} block)` });
  }
}

function richText(b) {
  const walk = (x) => {
    if (!x || typeof x !== 'object') return '';
    if (typeof x.text === 'string') return x.text;
    if (x.type === 'link') return x.url ?? '';
    if (x.type === 'user') return `@${names().users[x.user_id] ?? x.user_id}`;
    if (x.type === 'emoji') return emojify(`:${x.name}:`);
    return (x.elements ?? []).map(walk).join('') + (x.type === 'rich_text_section' ? '\n' : '');
  };
  return walk(b).trimEnd();
}

function renderContent(item, ctx) {
  const blocks = Array.isArray(item.blocks) ? item.blocks : [];
  if (blocks.length === 0) return [el('div', { class: 'text' }, renderNodes(parseMrkdwn(item.text ?? '', names())))];
  return blocks.map((b) => renderBlock(b, ctx));
}

// --- timeline --------------------------------------------------------------------------------------------------------

const tsNum = (ts) => Number(ts);
const byTs = (a, b) => tsNum(a.ts) - tsNum(b.ts) || (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0);
const timeOf = (ts) => new Date(Math.floor(tsNum(ts)) * 1000).toLocaleTimeString();
const visible = (e) => e.public || e.user === S.user;

function renderMessage(m) {
  const ctx = { kind: 'message', channel: m.channel, ts: m.ts };
  return el('div', { class: 'msg', dataset: { channel: m.channel, ts: m.ts } }, [
    el('div', { class: 'meta' }, [el('span', { class: 'author', text: S.bot.name }), el('span', { class: 'tag', text: 'APP' }), el('span', { text: timeOf(m.ts) }), m.edited ? el('span', { text: ' (edited)' }) : null]),
    ...renderContent(m, ctx),
  ]);
}

function renderEphemeral(e) {
  if (e.kind === 'command') {
    return el('div', { class: 'msg command', dataset: { ephemeralId: e.id } }, [
      el('div', { class: 'meta' }, [el('span', { class: 'author', text: names().users[e.user] ?? e.user }), el('span', { text: `${timeOf(e.ts)} · slash command, sent to the app` })]),
      el('div', { class: 'text', text: e.text }),
    ]);
  }
  const ctx = { kind: 'ephemeral', id: e.id, channel: e.channel, ts: e.ts };
  const who = e.kind === 'slack_error' ? 'Slack' : S.bot.name;
  return el('div', { class: `msg ${e.public ? '' : 'ephemeral'} ${e.kind}`, dataset: { ephemeralId: e.id } }, [
    el('div', { class: 'meta' }, [el('span', { class: 'author', text: who }), el('span', { class: 'tag', text: e.kind === 'slack_error' ? 'SLACK' : 'APP' }), el('span', { text: timeOf(e.ts) })]),
    e.public ? null : el('div', { class: 'eph-note', text: '👁 Only visible to you' }),
    ...renderContent(e, ctx),
  ]);
}

function renderFile(f) {
  return el('div', { class: 'msg', dataset: { fileId: f.id } }, [
    el('div', { class: 'meta' }, [el('span', { class: 'author', text: S.bot.name }), el('span', { class: 'tag', text: 'APP' }), f.ts ? el('span', { text: timeOf(f.ts) }) : null]),
    el('div', { class: 'file' }, [
      el('span', { text: `📎 ${f.title || f.filename} (${f.filename}, ${f.size} bytes) ` }),
      el('a', { href: `/ui/files/${encodeURIComponent(f.id)}`, download: f.filename, text: 'Download' }),
    ]),
  ]);
}

function renderItem(it) {
  if (it.kind === 'message') return renderMessage(it.v);
  if (it.kind === 'file') return renderFile(it.v);
  return renderEphemeral(it.v);
}

function itemsOf(channel) {
  const items = [];
  for (const m of S.messages.values()) if (m.channel === channel) items.push({ kind: 'message', ts: m.ts, thread: m.thread_ts && m.thread_ts !== m.ts ? m.thread_ts : undefined, v: m });
  for (const f of S.files.values()) if (f.channel === channel) items.push({ kind: 'file', ts: f.ts ?? '0', thread: f.thread_ts, v: f });
  for (const e of S.ephemerals) if (e.channel === channel && visible(e)) items.push({ kind: 'ephemeral', ts: e.ts, thread: e.thread_ts, v: e });
  return items.sort(byTs);
}

function renderChannel() {
  const box = $('messages');
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  const keep = box.scrollTop;
  const items = itemsOf(S.channel);
  // A reply posted with a reply's ts joins that reply's thread, as in Slack: follow thread_ts to the root.
  const parent = new Map(items.filter((i) => i.kind === 'message' && i.thread).map((i) => [i.ts, i.thread]));
  for (const i of items) { let t = i.thread; for (let n = 0; t && parent.has(t) && n < 20; n += 1) t = parent.get(t); i.thread = t; }
  const roots = items.filter((i) => !i.thread || !items.some((r) => r.kind === 'message' && r.ts === i.thread));
  const children = roots.map((r) => {
    const node = renderItem(r);
    if (r.kind !== 'message') return node;
    const replies = items.filter((i) => i.thread === r.ts);
    if (replies.length === 0) return node;
    const n = replies.filter((i) => i.kind !== 'ephemeral').length;
    return el('div', { class: 'with-thread' }, [node, el('div', { class: 'thread', dataset: { threadTs: r.ts } }, [
      el('div', { class: 'thread-head', text: `${n} ${n === 1 ? 'reply' : 'replies'}` }), ...replies.map(renderItem),
    ])]);
  });
  box.replaceChildren(...(children.length ? children : [el('p', { class: 'empty', text: 'Nothing here yet. Type a command below.' })]));
  box.scrollTop = atBottom ? box.scrollHeight : keep;
  const ch = S.channels.find((c) => c.id === S.channel);
  $('channel-title').textContent = `#${ch ? ch.name : S.channel}`;
  $('channel-topic').textContent = ch?.topic ?? '';
  renderChannelList();
}

function renderChannelList() {
  $('channels').replaceChildren(...S.channels.map((c) => {
    const unread = S.unread.get(c.id) ?? 0;
    const b = el('button', { type: 'button', class: `${c.id === S.channel ? 'current' : ''} ${unread ? 'unread' : ''}`, dataset: { channel: c.id }, onclick: () => selectChannel(c.id) },
      [document.createTextNode(`# ${c.name}`), unread ? el('span', { class: 'badge', text: String(unread) }) : null]);
    return el('li', {}, [b]);
  }));
}

function selectChannel(id) {
  S.channel = id;
  S.unread.delete(id);
  renderChannel();
  const box = $('messages');
  box.scrollTop = box.scrollHeight;
}

let pending = false;
function scheduleRender() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => { pending = false; renderChannel(); });
}

function markUnread(channel) {
  if (channel !== S.channel) S.unread.set(channel, (S.unread.get(channel) ?? 0) + 1);
}

// --- talking to the sandbox ---------------------------------------------------------------------------------------

async function post(path, body, method = 'POST') {
  const res = await fetch(path, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  let json = {};
  try { json = await res.json(); } catch { /* empty */ }
  if (!res.ok) throw new Error(json.error || `HTTP ${res.status}`);
  return json;
}

function confirmDialog(c) {
  return new Promise((resolve) => {
    const d = $('confirm');
    $('confirm-title').textContent = plain(c.title) || 'Are you sure?';
    $('confirm-text').replaceChildren(textObj(c.text));
    $('confirm-ok').textContent = plain(c.confirm) || 'Yes';
    $('confirm-ok').className = c.style === 'danger' ? 'danger' : '';
    $('confirm-deny').textContent = plain(c.deny) || 'Cancel';
    d.addEventListener('close', () => resolve(d.returnValue === 'ok'), { once: true });
    d.returnValue = '';
    d.showModal();
  });
}

async function clickElement(node, e, ctx, blockId, value) {
  if (e.confirm && !(await confirmDialog(e.confirm))) return;
  const body = { user: S.user, action_id: e.action_id, block_id: blockId, ...(value !== undefined ? { value } : {}) };
  if (ctx.kind === 'ephemeral') body.ephemeral_id = ctx.id;
  else Object.assign(body, { channel: ctx.channel, ts: ctx.ts });
  node.disabled = true;
  try {
    await post('/ui/action', body);
    $('composer-status').textContent = '';
  } catch (err) {
    $('composer-status').textContent = `That did not reach the app: ${err.message}`;
  } finally {
    node.disabled = false;
  }
}

async function sendCommand(ev) {
  ev.preventDefault();
  const input = $('command');
  const text = input.value.trim();
  if (!text) return;
  $('composer-status').textContent = '';
  try {
    await post('/ui/command', { user: S.user, channel: S.channel, text });
    input.value = '';
  } catch (err) {
    $('composer-status').textContent = err.message;
  }
}

// --- demo control panel -----------------------------------------------------------------------------------------

function renderFaults(state) {
  S.faults = state;
  if (!state || !state.available) return;
  const fill = (sel, values, preferred) => {
    const current = sel.value || preferred;
    sel.replaceChildren(...values.map((v) => el('option', { value: v, text: v })));
    if (values.includes(current)) sel.value = current;
  };
  fill($('fault'), state.known, 'cascade');
  fill($('target'), state.targets, 'ChatAgent');
  $('active-faults').replaceChildren(...(state.active.length
    ? state.active.map((f) => el('li', { text: `${f.fault} on ${f.agent_type} (since ${new Date(f.since).toLocaleTimeString()})` }))
    : [el('li', { class: 'muted', text: 'no fault active — the fleet is healthy' })]));
}

async function panelAction(fn) {
  $('faults-status').textContent = 'working…';
  try {
    renderFaults(await fn());
    $('faults-status').textContent = '';
  } catch (err) {
    $('faults-status').textContent = `Failed: ${err.message}`;
  }
}

// --- start -------------------------------------------------------------------------------------------------------

function applyState(st) {
  Object.assign(S, { channels: st.channels, users: st.users, groups: st.groups, bot: st.bot, command: st.command, script: st.script, panel: st.panel });
  S.messages = new Map(st.messages.map((m) => [`${m.channel} ${m.ts}`, m]));
  S.ephemerals = st.ephemerals;
  S.files = new Map(st.files.map((f) => [f.id, f]));
  if (!S.channel || !S.channels.some((c) => c.id === S.channel)) S.channel = S.channels[0]?.id ?? '';
  const saved = localStorage.getItem('sandbox-user');
  if (!S.user) S.user = S.users.some((u) => u.id === saved) ? saved : S.users[0]?.id ?? '';
  $('user').replaceChildren(...S.users.map((u) => el('option', { value: u.id, text: u.title ? `${u.name} — ${u.title}` : u.name })));
  $('user').value = S.user;
  $('command').placeholder = `${S.command} help`;
  $('script').hidden = S.script.length === 0;
  $('script-steps').replaceChildren(...S.script.map((s) => el('li', {}, renderNodes(parseMrkdwn(s, names())))));
  $('panel').hidden = !S.panel;
  renderChannel();
}

async function load() {
  const res = await fetch('/ui/state');
  applyState(await res.json());
  if (S.panel) panelAction(async () => (await fetch('/ui/faults')).json());
}

function connect() {
  const es = new EventSource('/ui/events');
  const live = $('live');
  es.addEventListener('open', () => { live.className = 'live on'; live.textContent = 'live'; load(); });
  es.addEventListener('error', () => { live.className = 'live off'; live.textContent = 'reconnecting…'; });
  es.addEventListener('posted', (ev) => {
    const m = JSON.parse(ev.data);
    const key = `${m.channel} ${m.ts}`;
    if (!S.messages.has(key)) markUnread(m.channel);
    S.messages.set(key, m);
    scheduleRender();
  });
  es.addEventListener('ephemeral', (ev) => {
    const e = JSON.parse(ev.data);
    if (!S.ephemerals.some((x) => x.id === e.id)) S.ephemerals.push(e);
    scheduleRender();
  });
  es.addEventListener('ephemeral_changed', (ev) => {
    const c = JSON.parse(ev.data);
    const i = S.ephemerals.findIndex((x) => x.id === c.id);
    if (i >= 0) { if (c.deleted) S.ephemerals.splice(i, 1); else Object.assign(S.ephemerals[i], { text: c.text, blocks: c.blocks }); }
    scheduleRender();
  });
  es.addEventListener('file', (ev) => {
    const f = JSON.parse(ev.data);
    if (!S.files.has(f.id)) markUnread(f.channel);
    S.files.set(f.id, f);
    scheduleRender();
  });
  es.addEventListener('faults', (ev) => renderFaults(JSON.parse(ev.data)));
}

window.addEventListener('DOMContentLoaded', () => {
  $('composer').addEventListener('submit', sendCommand);
  $('user').addEventListener('change', () => {
    S.user = $('user').value;
    localStorage.setItem('sandbox-user', S.user);
    const u = S.users.find((x) => x.id === S.user);
    $('who-note').textContent = u?.title ?? '';
    renderChannel();
  });
  $('inject').addEventListener('click', () => panelAction(() => post('/ui/faults', { fault: $('fault').value, target: $('target').value })));
  $('clear').addEventListener('click', () => panelAction(() => post('/ui/faults', {}, 'DELETE')));
  connect();
});
