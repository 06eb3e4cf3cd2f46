export * from './limits.js';
export * from './mrkdwn.js';
export * from './vocabulary.js';
export { reportMessage, type SlackMessage } from './report.js';
export { helpText, type HelpEntry } from './help.js';
