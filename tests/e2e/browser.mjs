// The browser side of the harness: launches Debian's Chromium, gives each flow a fresh
// context per device, and wraps navigation so that every page a flow visits is audited
// (axe-core and readability checks, see audit.mjs) and screenshotted.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { auditPage } from './audit.mjs';
import { REPO_ROOT } from './kit.mjs';

export const CHROMIUM = process.env.MEDNUM_E2E_CHROMIUM || '/usr/bin/chromium';
export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'target', 'e2e-screenshots');

/** The devices every flow runs on, unless the flow names fewer. */
export const DEVICES = {
  phone: {
    viewport: { width: 360, height: 740 },
    isMobile: true,
    hasTouch: true,
    deviceScaleFactor: 2,
  },
  desktop: {
    viewport: { width: 1280, height: 800 },
  },
};

const NAVIGATION_TIMEOUT_MS = 15_000;

/** Hosts of OS connectivity probes, resolved to the kit as the box's DNS does. */
export const PROBE_HOSTS = ['connectivitycheck.gstatic.com', 'captive.apple.com', 'www.example.net'];

export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      // Nothing but the kit on loopback can be reached. As on the box, where every name
      // resolves to the kit, the phones' connectivity probes go to it.
      `--host-resolver-rules=${PROBE_HOSTS.map((h) => `MAP ${h} 127.0.0.1`).join(', ')}, `
        + 'MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    ],
  });
}

/**
 * Runs one flow on one device in a new browser context.
 *
 * A flow is { name, devices?, context?, init?, run(ctx) }:
 * - devices: names from DEVICES (default: all of them);
 * - context: extra options for browser.newContext (e.g. { javaScriptEnabled: false });
 * - init: a function run in every document before the page's scripts (page.addInitScript);
 * - lang: the language every page must declare (default "fr"; a flow that picks another
 *   language with the `langue` cookie says which);
 * - run(ctx) receives { page, baseUrl, kit, device, goto, follow, audit, log } (`kit` is
 *   the running kit: its `dataDir` and `cli(args)` for admin commands beside it):
 *   goto(path, { status }) and follow(locatorOrAction, { status }) navigate, check the HTTP
 *   status (200 by default), wait for the load and audit the new page; audit() audits the
 *   page again in its current state (after a click that changes it, for instance).
 * Every page loaded during the flow must have been audited, or the flow fails.
 */
export async function runFlow(browser, flow, deviceName, { baseUrl, kit, log = console.log }) {
  const context = await browser.newContext({
    ...DEVICES[deviceName],
    locale: 'fr-FR',
    ...(flow.context ?? {}),
  });
  context.setDefaultTimeout(NAVIGATION_TIMEOUT_MS);
  const javaScriptEnabled = flow.context?.javaScriptEnabled !== false;
  const problems = [];
  const loaded = new Set();
  const audited = new Set();
  let shot = 0;
  let lastDocument = null;

  try {
    if (flow.init) await context.addInitScript(flow.init);
    const page = await context.newPage();
    const here = () => pathOf(page.url(), baseUrl);

    page.on('load', () => loaded.add(withoutHash(page.url())));
    page.on('pageerror', (err) => problems.push(`${here()} (${deviceName}): script error: ${err.message}`));
    page.on('console', (msg) => {
      // "Failed to load resource" repeats what the response and requestfailed handlers
      // report (and is expected for the document of the 404 page).
      if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) problems.push(`${here()} (${deviceName}): console error: ${msg.text()}`);
    });
    page.on('response', (res) => {
      const req = res.request();
      if (req.isNavigationRequest() && req.frame() === page.mainFrame()) {
        lastDocument = res;
      } else if (res.status() >= 400) {
        problems.push(`${here()} (${deviceName}): ${req.resourceType()} ${pathOf(res.url(), baseUrl)} answered ${res.status()}`);
      }
    });
    page.on('requestfailed', (req) => {
      const failure = req.failure()?.errorText ?? 'failed';
      // A request cut short by the next navigation is not a fault of the page.
      if (failure !== 'net::ERR_ABORTED') {
        problems.push(`${here()} (${deviceName}): request ${pathOf(req.url(), baseUrl)} failed: ${failure}`);
      }
    });

    await mkdir(SCREENSHOT_DIR, { recursive: true });

    const audit = async () => {
      shot += 1;
      const screenshotPath = path.join(SCREENSHOT_DIR, `${flow.name}-${deviceName}-${shot}.png`);
      const found = await auditPage(page, {
        device: deviceName,
        baseUrl,
        screenshotPath,
        javaScriptEnabled,
        lang: flow.lang ?? 'fr',
        log,
      });
      problems.push(...found);
      audited.add(withoutHash(page.url()));
    };

    const checkStatus = (expected) => {
      assert.ok(lastDocument, `no document response for ${here()}`);
      assert.equal(lastDocument.status(), expected, `HTTP status of ${here()} (${deviceName})`);
    };

    const goto = async (target, { status = 200 } = {}) => {
      lastDocument = null;
      await page.goto(new URL(target, baseUrl).href, { waitUntil: 'load' });
      checkStatus(status);
      await audit();
      return page;
    };

    // Taps on a phone, clicks on a desktop; or runs the given action (e.g. a key press).
    const follow = async (target, { status = 200 } = {}) => {
      lastDocument = null;
      const load = page.waitForEvent('load');
      if (typeof target === 'function') {
        await target();
      } else {
        assert.equal(await target.count(), 1, `exactly one element to follow on ${here()}`);
        if (DEVICES[deviceName].hasTouch) await target.tap();
        else await target.click();
      }
      await load;
      checkStatus(status);
      await audit();
      return page;
    };

    try {
      await flow.run({ page, baseUrl, kit, device: deviceName, goto, follow, audit, log });
    } catch (err) {
      // Keep what the audits found before the flow broke.
      if (problems.length) {
        err.message += `\n  also found before that:\n  - ${[...new Set(problems)].join('\n  - ')}`;
      }
      throw err;
    }

    const skipped = [...loaded].filter((url) => !audited.has(url));
    assert.deepEqual(skipped.map((u) => pathOf(u, baseUrl)), [],
      'pages loaded by the flow without an audit (navigate with goto/follow)');
  } finally {
    await context.close();
  }

  if (problems.length) {
    const unique = [...new Set(problems)];
    assert.fail(`${unique.length} problem(s) in flow ${flow.name} (${deviceName}):\n  - ${unique.join('\n  - ')}`);
  }
}

function withoutHash(url) {
  const u = new URL(url);
  u.hash = '';
  return u.href;
}

function pathOf(url, baseUrl) {
  return url.startsWith(baseUrl) ? url.slice(baseUrl.length) || '/' : url;
}
