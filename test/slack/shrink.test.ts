/** Shrinking a message Slack refused (pure), and the sandbox's Block Kit checks that make Slack refuse it. */
import { describe, expect, it } from 'vitest';
import { cutMrkdwn, fitBlocks, textOnly } from '../../src/slack/blocks/shrink.js';
import { shrink } from '../../src/outbox/deliver.js';
import { blockKitErrors } from '../../sandbox/block-limits.js';
import { messageWithoutPayload } from '../../src/slack/blocks/logs.js';

describe('cutMrkdwn', () => {
  it('never leaves half a link, half an entity or an open code block', () => {
    expect(cutMrkdwn(`${'a'.repeat(20)} <https://example.com|link>`, 30)).toBe(`${'a'.repeat(20)} …`);
    expect(cutMrkdwn(`${'a'.repeat(24)} &amp; more text`, 30)).toBe(`${'a'.repeat(24)} …`);
    const cut = cutMrkdwn(`\`\`\`${'x'.repeat(100)}\`\`\``, 40);
    expect(cut.length).toBeLessThanOrEqual(40);
    expect((cut.match(/```/g) ?? []).length % 2).toBe(0);
  });
});

describe('fitBlocks and textOnly', () => {
  it('cuts every text and list to Slack\'s limits, keeping a final actions block', () => {
    const many = Array.from({ length: 60 }, (_, i) => ({ type: 'section', text: { type: 'mrkdwn', text: `s${i}` } }));
    const actions = { type: 'actions', elements: [{ type: 'button', action_id: 'a', text: { type: 'plain_text', text: 'x'.repeat(80) } }] };
    const fitted = fitBlocks([{ type: 'section', text: { type: 'mrkdwn', text: 'y'.repeat(4_000) }, fields: Array.from({ length: 12 }, () => ({ type: 'mrkdwn', text: 'f'.repeat(2_100) })) }, ...many, actions]);
    expect(fitted).toHaveLength(50);
    expect(fitted[49]?.type).toBe('actions');
    expect(blockKitErrors(fitted)).toEqual([]);
  });

  it('text alone keeps the words of header, sections, fields and context', () => {
    const text = textOnly('fallback', [
      { type: 'header', text: { type: 'plain_text', text: 'Report' } },
      { type: 'section', text: { type: 'mrkdwn', text: 'body' }, fields: [{ type: 'mrkdwn', text: 'f1' }] },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'c1' }, { type: 'mrkdwn', text: 'c2' }] },
      { type: 'actions', elements: [] },
    ]);
    expect(text).toBe('*Report*\nbody\nf1\nc1  c2');
    expect(textOnly('fallback', [{ type: 'divider' }])).toBe('fallback');
  });

  it('shrink: fitted blocks first, then text alone; msg_too_long cuts the text; anything else is not a size problem', () => {
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: 'z'.repeat(3_500) } }];
    const first = shrink({ text: 't', blocks }, 'invalid_blocks', 0);
    expect((first?.blocks?.[0]?.text as { text: string }).text.length).toBeLessThanOrEqual(3_000);
    expect(shrink({ text: 't', blocks }, 'invalid_blocks', 1)?.blocks).toBeUndefined();
    expect(shrink({ text: 'w'.repeat(9_000) }, 'msg_too_long', 0)?.text.length).toBeLessThanOrEqual(4_000);
    expect(shrink({ text: 'short' }, 'msg_too_long', 0)).toBeUndefined();
    expect(shrink({ text: 't', blocks }, 'channel_not_found', 0)).toBeUndefined();
  });
});

describe('sandbox Block Kit checks (as Slack answers invalid_blocks)', () => {
  it('names each problem with its json-pointer', () => {
    const errors = blockKitErrors([
      { type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(3_001) }, fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' })) },
      { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } },
      { type: 'actions', elements: [{ type: 'button', action_id: 'a', text: { type: 'plain_text', text: 'b'.repeat(76) }, value: 'v'.repeat(2_001) }] },
      { type: 'section', block_id: 'same', text: { type: 'mrkdwn', text: 'ok' } },
      { type: 'section', block_id: 'same', text: { type: 'mrkdwn', text: 'ok' } },
    ]);
    expect(errors).toEqual([
      '[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]',
      '[ERROR] no more than 10 items allowed [json-pointer:/blocks/0/fields]',
      '[ERROR] must be less than 151 characters [json-pointer:/blocks/1/text/text]',
      '[ERROR] must be less than 76 characters [json-pointer:/blocks/2/elements/0/text/text]',
      '[ERROR] must be less than 2001 characters [json-pointer:/blocks/2/elements/0/value]',
      '[ERROR] duplicate block_id [json-pointer:/blocks/4/block_id]',
    ]);
    expect(blockKitErrors(Array.from({ length: 51 }, () => ({ type: 'divider' })))).toEqual(['[ERROR] no more than 50 items allowed [json-pointer:/blocks]']);
  });
});

describe('log lines without payloads', () => {
  it('an autogen-core event keeps its describing fields and drops the payload', () => {
    const event = JSON.stringify({ payload: '{"text": "my secret prompt"}', sender: 'ChatAgent/default', receiver: 'ToolAgent/default', kind: 'MessageKind.DIRECT', delivery_stage: 'DeliveryStage.SEND', type: 'Message' });
    const line = messageWithoutPayload(event);
    expect(line).not.toContain('secret prompt');
    expect(line).toBe('type=Message kind=MessageKind.DIRECT delivery_stage=DeliveryStage.SEND sender=ChatAgent/default receiver=ToolAgent/default (payload omitted)');
    expect(messageWithoutPayload('plain text {not json')).toBe('plain text {not json');
  });
});
