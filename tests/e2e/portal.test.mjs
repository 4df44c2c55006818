// End-to-end tests of the learner portal: the real kit binary, Debian's Chromium, every flow
// of flows.mjs on a phone and on a desktop, each page audited with axe-core.
// Run with: bash tests/e2e/run.sh
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { auditPage } from './audit.mjs';
import { DEVICES, SCREENSHOT_DIR, launchBrowser, runFlow } from './browser.mjs';
import { flows } from './flows.mjs';
import { startKit } from './kit.mjs';

const FLOW_TIMEOUT_MS = 90_000;

const FAULTY_PAGE = `<!DOCTYPE html><html><head><title>Défauts</title>
<style>body { font-size: 12px } p { text-align: justify } .pale { color: #c8c8c8 }</style></head>
<body><main><h1>Défauts</h1><p>Un texte justifié.</p><p><em style="font-style: italic">Penché</em></p>
<img src="data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACwAAAAAAQABAAACAkQBADs=" width="20" height="20">
<p class="pale">Gris clair sur blanc.</p><p><a href="/lien-casse">Un lien cassé</a></p></main></body></html>`;

describe('portail apprenant (navigateur)', () => {
  let kit;
  let browser;

  before(async () => {
    await rm(SCREENSHOT_DIR, { recursive: true, force: true });
    kit = await startKit();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    if (kit) {
      const status = await kit.stop();
      assert.deepEqual(status, { code: 0, signal: null }, `the kit stops cleanly on SIGTERM\n${kit.log()}`);
    }
  });

  // The audit itself: a page with known faults must show each of them, so that a broken
  // injection of axe-core (or a check that stopped looking) cannot pass silently.
  test('auto-contrôle de l\'audit', { timeout: FLOW_TIMEOUT_MS }, async () => {
    const context = await browser.newContext({ ...DEVICES.phone });
    try {
      const page = await context.newPage();
      const url = `${kit.baseUrl}/__e2e-auto-controle`;
      await page.route(url, (route) => route.fulfill({ contentType: 'text/html; charset=utf-8', body: FAULTY_PAGE }));
      await page.goto(url);
      const problems = (await auditPage(page, { device: 'phone', baseUrl: kit.baseUrl, log: () => {} }))
        .join('\n');
      for (const expected of [
        /<html> has no lang attribute/,
        /body font-size 12px/,
        /text-align: justify on .*p:nth-of-type\(1\) "Un texte justifié\."/,
        /italic text in main: .*> em "Penché"/,
        /axe html-has-lang \[serious\]/,
        /axe image-alt \[critical\]/,
        /axe color-contrast \[serious\]/,
        /broken link \/lien-casse answers 404/,
      ]) {
        assert.match(problems, expected);
      }
    } finally {
      await context.close();
    }
  });

  for (const flow of flows) {
    for (const device of flow.devices ?? Object.keys(DEVICES)) {
      test(`${flow.name} (${device})`, { timeout: FLOW_TIMEOUT_MS }, async (t) => {
        // A flow that changes the kit's state for its client gets a kit of its own.
        const own = flow.freshKit ? await startKit() : null;
        try {
          await runFlow(browser, flow, device, {
            baseUrl: (own ?? kit).baseUrl,
            kit: own ?? kit,
            log: (line) => t.diagnostic(line),
          });
        } finally {
          if (own) await own.stop();
        }
      });
    }
  }
});
