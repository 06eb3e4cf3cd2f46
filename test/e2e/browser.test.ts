/**
 * The demo as a person uses it, in a real browser: `tsx src/cli.ts demo` (what `make demo` runs) is started
 * as a child process, Debian's Chromium (driven by playwright-core, headless, off the network) opens the
 * printed page and goes through the story — `/autogen health`, a fault injected from the control panel, the
 * incident thread with its diagnosis and recovery plan, a refused Approve by a non-approver, Approve by the
 * approver, "mitigated", the fault cleared and the isolation reverted, "resolved" — then SIGTERM stops the
 * demo and everything it started. Every click is a signed request to the real bot; nothing is stubbed but
 * Slack. Screenshots of each step go to .run/artifacts/browser/ (and one of the page on failure).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { fleetPython } from '../support/fleet.js';
import { waitFor } from '../support/poll.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = resolve('.run/artifacts/browser');
const ALICE = 'U0DEMOALICE'; // approver
const BOB = 'U0DEMOBOB'; // not an approver
const CAROL = 'U0DEMOCAROL'; // on call, not an approver

function gone(pid: number): boolean {
  try { process.kill(pid, 0); return false; } catch { return true; }
}

function startDemo() {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve('src/cli.ts'), 'demo'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', AUTOGEN_OPS_PYTHON: fleetPython(), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: string[] = [];
  createInterface({ input: child.stdout }).on('line', (l) => out.push(l));
  createInterface({ input: child.stderr }).on('line', (l) => out.push(l));
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, out, exit };
}

let demo: ReturnType<typeof startDemo> | undefined;
let context: BrowserContext | undefined;
let profile: string | undefined;

afterAll(async () => {
  await context?.close().catch(() => undefined);
  if (profile) rmSync(profile, { recursive: true, force: true });
  if (demo && demo.child.exitCode === null) {
    demo.child.kill('SIGTERM');
    await Promise.race([demo.exit, new Promise((r) => setTimeout(r, 15_000).unref())]);
    if (demo.child.exitCode === null) demo.child.kill('SIGKILL');
  }
});

async function as(page: Page, user: string): Promise<void> {
  await page.getByLabel('Acting as user').selectOption(user);
}

/** Clicks a button that has a confirmation dialog and confirms it (the page's own <dialog>, as Slack's). */
async function clickConfirmed(page: Page, button: Locator, confirmLabel: string | RegExp): Promise<void> {
  await button.click();
  const dialog = page.locator('dialog[open]');
  await dialog.waitFor();
  await dialog.getByRole('button', { name: confirmLabel }).click();
  await page.locator('dialog[open]').waitFor({ state: 'detached' });
}

describe('the sandbox page in a browser', () => {
  it('health, a fault from the panel, the incident thread, refused and allowed Approve, mitigated, then resolved', async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: run 'make deps' (it installs Debian's chromium) or apt-get install chromium`).toBe(true);
    mkdirSync(ARTIFACTS, { recursive: true });
    demo = startDemo();
    const d = demo;
    const pageUrl = await waitFor(() => d.out.map((l) => /^Open the sandbox page: (\S+)$/.exec(l)?.[1]).find(Boolean) ?? (d.child.exitCode !== null ? Promise.reject(new Error(`demo exited:\n${d.out.join('\n')}`)) : undefined),
      { timeoutMs: 60_000, what: 'the demo to print the page address' });

    profile = mkdtempSync(join(tmpdir(), 'sandbox-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 1000 },
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    context.setDefaultTimeout(15_000);
    const page = context.pages()[0] ?? await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const shot = (name: string): Promise<Buffer> => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

    try {
      await page.goto(pageUrl);
      await page.locator('#live.on').waitFor();

      // 1. /autogen health in #ops as alice: the ack is an ephemeral only alice sees, then the report.
      await as(page, ALICE);
      await page.getByLabel('Slash command').fill('/autogen health');
      await page.getByRole('button', { name: 'Send' }).click();
      await page.locator('.msg.ephemeral', { hasText: 'Only visible to you' }).first().waitFor();
      const health = page.locator('.msg:not(.ephemeral):not(.command)', { hasText: 'Health check' });
      await health.waitFor({ timeout: 30_000 });
      await shot('1-health');

      // 2. A cascade fault on ChatAgent from the demo control panel.
      await page.getByLabel('Fault', { exact: true }).selectOption('cascade');
      await page.getByLabel('Target agent').selectOption('ChatAgent');
      await page.getByRole('button', { name: 'Inject fault' }).click();
      await page.locator('#active-faults', { hasText: 'cascade on ChatAgent' }).waitFor();

      // 3. The monitor opens an incident thread in #autogen-alerts; the diagnosis arrives in it.
      await page.locator('#channels button', { hasText: 'autogen-alerts' }).click();
      // On a loaded machine an incident may already be open (e.g. slowness while the fleet warmed up); the
      // cascade's alerts then join it, and "Diagnose again" on its root gives the cascade's diagnosis.
      const cascadeDiag = page.locator('.thread .msg', { hasText: 'Cascading failure from RetrieverAgent' });
      const chatErrors = page.locator('.thread .msg', { hasText: 'AutoGenAgentHighErrorRate · ChatAgent' });
      await cascadeDiag.or(chatErrors).first().waitFor({ timeout: 60_000 });
      if (!(await cascadeDiag.first().isVisible())) {
        await as(page, CAROL);
        await page.locator('.with-thread').filter({ has: chatErrors }).first().locator(':scope > .msg').getByRole('button', { name: 'Diagnose again' }).click();
        await cascadeDiag.first().waitFor({ timeout: 60_000 });
      }
      const incident = page.locator('.with-thread').filter({ has: cascadeDiag }).first();
      const thread = incident.locator('.thread');
      const diagnosis = thread.locator('.msg', { hasText: 'Cascading failure from RetrieverAgent' }).last();
      expect(await diagnosis.innerText()).toContain('is failing');

      // The same failure asked about by a person: /autogen diagnose ChatAgent in #ops gives the report.
      await page.locator('#channels button[data-channel="C0DEMOOPS"]').click();
      await page.getByLabel('Slash command').fill('/autogen diagnose ChatAgent');
      await page.getByRole('button', { name: 'Send' }).click();
      const report = page.locator('.msg:not(.ephemeral):not(.command)', { hasText: 'ChatAgent on demo' }).last();
      await report.waitFor({ timeout: 30_000 });
      expect(await report.innerText()).toMatch(/Cascading failure/);
      await report.getByRole('button', { name: 'Show logs' }).waitFor();
      await shot('2-diagnose');
      await page.locator('#channels button', { hasText: 'autogen-alerts' }).click();

      // The incident's plan comes by itself when its first alert matches a runbook; else the diagnosis
      // offers "Propose recovery" (asked by carol, so alice's approval counts on this high-risk plan).
      const planMsg = thread.locator('.msg:not(.ephemeral)', { hasText: 'Recovery plan: Agent cascade failure' }).first();
      const noPlan = thread.locator('.msg', { hasText: 'No recovery plan' }).first();
      await planMsg.or(noPlan).first().waitFor({ timeout: 10_000 }).catch(() => undefined);
      if (!(await planMsg.isVisible())) {
        await as(page, CAROL);
        await diagnosis.getByRole('button', { name: 'Propose recovery' }).click();
        await planMsg.waitFor({ timeout: 30_000 });
      }
      expect(await planMsg.innerText()).toContain('isolate');
      expect(await planMsg.innerText()).toContain('RetrieverAgent');
      await shot('3-incident-thread-with-plan');

      // 4. bob is not an approver: refused, with an ephemeral only bob sees; nothing runs.
      await as(page, BOB);
      await clickConfirmed(page, planMsg.getByRole('button', { name: 'Approve', exact: true }), /^Approve/);
      await page.locator('.msg.ephemeral', { hasText: 'not allowed' }).first().waitFor();
      await shot('4-refused-for-bob');

      // 5. alice approves: RetrieverAgent is isolated; ChatAgent still fails without it → mitigated.
      await as(page, ALICE);
      expect(await page.locator('.msg.ephemeral', { hasText: 'not allowed' }).count()).toBe(0); // bob's ephemeral is bob's
      await clickConfirmed(page, planMsg.getByRole('button', { name: 'Approve', exact: true }), /^Approve/);
      const mitigated = thread.locator('.msg', { hasText: 'Mitigated, cause still present' }).first();
      await mitigated.waitFor({ timeout: 60_000 });
      expect(await mitigated.innerText()).toContain('RetrieverAgent');
      await shot('5-mitigated');

      // 6. Clear the fault, revert the isolation: the next look says resolved, and so does the root.
      await page.getByRole('button', { name: 'Clear faults' }).click();
      await page.locator('#active-faults', { hasText: 'no fault active' }).waitFor();
      await clickConfirmed(page, mitigated.getByRole('button', { name: 'Revert now' }), 'Revert');
      await thread.locator('.msg', { hasText: 'Fixed and verified — resolved' }).first().waitFor({ timeout: 60_000 });
      await incident.locator(':scope > .msg', { hasText: 'Resolved' }).first().waitFor({ timeout: 30_000 });
      await shot('6-resolved');
      expect(pageErrors).toEqual([]);
    } catch (err) {
      await page.screenshot({ path: join(ARTIFACTS, 'failure.png'), fullPage: true }).catch(() => undefined);
      writeFileSync(join(ARTIFACTS, 'failure-demo-output.txt'), d.out.join('\n'));
      throw err;
    }

    // Ctrl-C (here SIGTERM) stops everything the demo started, by PID.
    const pids = [...d.out.join('\n').matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1]));
    expect(pids.length).toBe(2);
    d.child.kill('SIGTERM');
    expect(await d.exit).toBe(0);
    for (const pid of pids) expect(gone(pid)).toBe(true);
  }, 150_000);
});
