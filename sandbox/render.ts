/** Renders a posted Block Kit message as readable terminal text (for `make demo`). Pure. */

type Json = Record<string, unknown>;

function unescape(text: string): string {
  return text
    .replace(/<!date\^\d+\^[^|>]*\|([^>]*)>/g, '$1')
    .replace(/<([^|>]+)\|([^>]+)>/g, '$2 ($1)')
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function mrkdwn(text: string): string {
  return unescape(text)
    .replace(/(^|[\s(])\*([^*\n]+)\*/g, '$1$2')
    .replace(/(^|\s)_([^_\n]+)_/g, '$1$2').replace(/```([\s\S]*?)```/g, (_m, c: string) => c.split('\n').map((l) => `    ${l}`).join('\n'));
}

function textOf(obj: unknown): string {
  const t = (obj as Json | undefined)?.text;
  return typeof t === 'string' ? t : '';
}

export function renderBlocks(blocks: readonly Json[], width = 100): string {
  const out: string[] = [];
  for (const b of blocks) {
    switch (b.type) {
      case 'header': {
        const t = textOf(b.text);
        out.push(t, '='.repeat(Math.min(width, [...t].length + 2)));
        break;
      }
      case 'section':
        out.push(mrkdwn(textOf(b.text)));
        for (const f of (b.fields as Json[] | undefined) ?? []) out.push(`  ${mrkdwn(textOf(f))}`);
        break;
      case 'context':
        out.push(((b.elements as Json[] | undefined) ?? []).map((e) => mrkdwn(textOf(e))).join('  ·  '));
        break;
      case 'divider':
        out.push('-'.repeat(width));
        break;
      case 'actions':
        out.push(((b.elements as Json[] | undefined) ?? []).map((e) => `[ ${textOf(e.text)} ]`).join('  '));
        break;
      default:
        out.push(`(${String(b.type)} block)`);
    }
  }
  return out.join('\n');
}
