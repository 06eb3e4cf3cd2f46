/** A link to a message in a channel (Slack redirects it to the workspace). */
export function messageLink(channel: string, ts: string): string {
  return `https://slack.com/archives/${channel}/p${ts.replace('.', '')}`;
}
