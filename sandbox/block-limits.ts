/**
 * Slack's Block Kit limits as Slack itself enforces them on chat.postMessage / chat.update /
 * chat.postEphemeral: a message breaking one is refused with `invalid_blocks` and one line per problem,
 * worded like Slack's (`[ERROR] … [json-pointer:/blocks/…]`). The figures are Slack's documented ones
 * (https://api.slack.com/reference/block-kit), written out here on purpose: the sandbox must not trust the
 * bot's own idea of the limits (`src/slack/blocks/limits.ts`).
 */
type Json = Record<string, unknown>;

export const BLOCK_KIT = {
  blocks: 50,
  /** section / context / confirm text objects */
  text: 3_000,
  fields: 10,
  fieldText: 2_000,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2_000,
  actionId: 255,
  blockId: 255,
  confirmTitle: 100,
  confirmText: 300,
  /** Message `text`: longer is refused with `msg_too_long`. */
  messageText: 40_000,
} as const;

function textOf(x: unknown): string | undefined {
  if (x && typeof x === 'object' && typeof (x as Json).text === 'string') return (x as Json).text as string;
  return undefined;
}

/** Every Block Kit problem of `blocks`, as Slack words them; empty when Slack would accept them. */
export function blockKitErrors(blocks: readonly Json[]): string[] {
  const errors: string[] = [];
  const tooLong = (s: string | undefined, max: number, at: string): void => {
    if (s !== undefined && s.length > max) errors.push(`[ERROR] must be less than ${max + 1} characters [json-pointer:${at}]`);
  };
  const empty = (s: string | undefined, at: string): void => {
    if (s === undefined || s.length === 0) errors.push(`[ERROR] must be more than 0 characters [json-pointer:${at}]`);
  };
  if (blocks.length > BLOCK_KIT.blocks) errors.push(`[ERROR] no more than ${BLOCK_KIT.blocks} items allowed [json-pointer:/blocks]`);
  const blockIds = new Set<string>();
  blocks.forEach((b, i) => {
    const at = `/blocks/${i}`;
    if (typeof b.block_id === 'string') {
      tooLong(b.block_id, BLOCK_KIT.blockId, `${at}/block_id`);
      if (blockIds.has(b.block_id)) errors.push(`[ERROR] duplicate block_id [json-pointer:${at}/block_id]`);
      blockIds.add(b.block_id);
    }
    switch (b.type) {
      case 'header':
        empty(textOf(b.text), `${at}/text/text`);
        tooLong(textOf(b.text), BLOCK_KIT.headerText, `${at}/text/text`);
        break;
      case 'section': {
        const fields = Array.isArray(b.fields) ? (b.fields as Json[]) : undefined;
        if (b.text === undefined && fields === undefined) errors.push(`[ERROR] must provide either text or fields [json-pointer:${at}]`);
        if (b.text !== undefined) {
          empty(textOf(b.text), `${at}/text/text`);
          tooLong(textOf(b.text), BLOCK_KIT.text, `${at}/text/text`);
        }
        if (fields && fields.length > BLOCK_KIT.fields) errors.push(`[ERROR] no more than ${BLOCK_KIT.fields} items allowed [json-pointer:${at}/fields]`);
        fields?.forEach((f, j) => tooLong(textOf(f), BLOCK_KIT.fieldText, `${at}/fields/${j}/text`));
        break;
      }
      case 'context': {
        const els = Array.isArray(b.elements) ? (b.elements as Json[]) : [];
        if (els.length === 0) errors.push(`[ERROR] must provide at least 1 item [json-pointer:${at}/elements]`);
        if (els.length > BLOCK_KIT.contextElements) errors.push(`[ERROR] no more than ${BLOCK_KIT.contextElements} items allowed [json-pointer:${at}/elements]`);
        els.forEach((e, j) => tooLong(textOf(e), BLOCK_KIT.text, `${at}/elements/${j}/text`));
        break;
      }
      case 'actions': {
        const els = Array.isArray(b.elements) ? (b.elements as Json[]) : [];
        if (els.length === 0) errors.push(`[ERROR] must provide at least 1 item [json-pointer:${at}/elements]`);
        if (els.length > BLOCK_KIT.actionsElements) errors.push(`[ERROR] no more than ${BLOCK_KIT.actionsElements} items allowed [json-pointer:${at}/elements]`);
        els.forEach((e, j) => {
          const el = `${at}/elements/${j}`;
          if (typeof e.action_id === 'string') tooLong(e.action_id, BLOCK_KIT.actionId, `${el}/action_id`);
          if (e.type === 'button') {
            empty(textOf(e.text), `${el}/text/text`);
            tooLong(textOf(e.text), BLOCK_KIT.buttonText, `${el}/text/text`);
            if (typeof e.value === 'string') tooLong(e.value, BLOCK_KIT.buttonValue, `${el}/value`);
          }
          const confirm = e.confirm as Json | undefined;
          if (confirm) {
            tooLong(textOf(confirm.title), BLOCK_KIT.confirmTitle, `${el}/confirm/title/text`);
            tooLong(textOf(confirm.text), BLOCK_KIT.confirmText, `${el}/confirm/text/text`);
          }
        });
        break;
      }
      case 'divider':
      case 'image':
      case 'rich_text':
      case 'file':
      case 'video':
      case 'markdown':
        break;
      default:
        errors.push(`[ERROR] unsupported type: ${String(b.type)} [json-pointer:${at}/type]`);
    }
  });
  return errors;
}
