/**
 * Escaping for Slack mrkdwn: text that came from outside (agent names, error messages, alert labels) must
 * not ping a channel (`<!channel>`), inject links (`<http://…|x>`) or break formatting.
 */

/** Escapes &, < and > as Slack requires; this also disarms `<!channel>`, `<@U…>` and links. */
export function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Inline code: escaped, backticks removed so the span cannot be closed early. */
export function code(text: string): string {
  return `\`${escapeText(text).replace(/`/g, "'")}\``;
}

/** A code block: escaped, triple backticks defused. */
export function codeBlock(text: string): string {
  return `\`\`\`${escapeText(text).replace(/```/g, "'''")}\`\`\``;
}
