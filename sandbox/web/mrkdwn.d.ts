/** Types of sandbox/web/mrkdwn.js (plain JS served to the page as is; typed for the unit tests). */
export type MrkdwnNode =
  | { t: 'text'; v: string }
  | { t: 'code'; v: string }
  | { t: 'pre'; v: string }
  | { t: 'mention'; v: string }
  | { t: 'br' }
  | { t: 'link'; href: string; label: string }
  | { t: 'b' | 'i' | 's'; children: MrkdwnNode[] };

export interface MrkdwnNames {
  users?: Record<string, string>;
  channels?: Record<string, string>;
  groups?: Record<string, string>;
}

export function decodeEntities(text: string): string;
export function emojify(text: string): string;
export function parseMrkdwn(text: string, names?: MrkdwnNames): MrkdwnNode[];
export function nodesText(nodes: MrkdwnNode[]): string;
