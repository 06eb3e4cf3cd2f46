/** The Slack stand-in for tests: one per test file, with fixed sandbox credentials. */
import { startSandbox, type Sandbox } from '../../sandbox/server.js';

export const SANDBOX_BOT_TOKEN = 'xoxb-sandbox-test-token';
export const SANDBOX_SIGNING_SECRET = 'sandbox-signing-secret-for-tests';

export async function startTestSandbox(): Promise<Sandbox> {
  return startSandbox({ botToken: SANDBOX_BOT_TOKEN, signingSecret: SANDBOX_SIGNING_SECRET });
}

export type { Sandbox, SandboxMessage } from '../../sandbox/server.js';
