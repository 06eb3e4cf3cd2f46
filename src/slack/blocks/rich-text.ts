/**
 * The domain's `RichText` (src/view/rich-text.ts) as Slack mrkdwn: our wording as written, every hole
 * escaped by the one escaper (`escapeText`, `code`, `mention`, `groupMention`), a refusal as its ephemeral.
 */
import { RichText, type RichNode } from '../../view/rich-text.js';
import { errorAckText } from './error-ack.js';
import { code, escapeText, groupMention, md, mention, type Mrkdwn } from './mrkdwn.js';

function node(n: RichNode): Mrkdwn {
  switch (n.k) {
    case 'ours': return md`${n.v as Mrkdwn}`;
    case 'text': return escapeText(n.v);
    case 'code': return code(n.v);
    case 'user': return mention(n.v);
    case 'group': return groupMention(n.v);
    case 'refusal': return errorAckText(n.v);
  }
}

/** Rich text (or mrkdwn already) as mrkdwn. */
export function renderRich(text: RichText | Mrkdwn): Mrkdwn {
  if (!(text instanceof RichText)) return text;
  const out = text.nodes.map(node).join('');
  return md`${out as Mrkdwn}`;
}
