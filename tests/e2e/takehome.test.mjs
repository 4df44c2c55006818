// "Emporter sur mon téléphone" in Debian's Chromium: the learner taps the link, the browser
// downloads one file; that file, opened from the disk in a new context with the network off
// and JavaScript off, shows every step heading and every image, and passes the audit
// (axe-core, French, readable type). The same for a blank practice form and for the answers
// sent from the review page; and the print view passes the audit and prints without its menu.
// Run with: bash tests/e2e/run.sh
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { auditPage } from './audit.mjs';
import { DEVICES, SCREENSHOT_DIR, launchBrowser } from './browser.mjs';
import { startKit } from './kit.mjs';

const TIMEOUT_MS = 60_000;

/** Taps the link named `label` on `pagePath` and saves the download in `dir`. */
async function download(browser, kit, dir, pagePath, label) {
  const context = await browser.newContext({ ...DEVICES.phone, locale: 'fr-FR', acceptDownloads: true });
  try {
    const page = await context.newPage();
    const response = await page.goto(`${kit.baseUrl}${pagePath}`);
    assert.equal(response.status(), 200, pagePath);
    const link = page.getByRole('link', { name: label, exact: true });
    assert.equal(await link.count(), 1, `one link "${label}" on ${pagePath}`);
    const [file] = await Promise.all([page.waitForEvent('download'), link.tap()]);
    assert.equal(await file.failure(), null, `download from ${pagePath}`);
    const saved = path.join(dir, file.suggestedFilename());
    await file.saveAs(saved);
    return { saved, name: file.suggestedFilename() };
  } finally {
    await context.close();
  }
}

/** Opens a saved file with the network and JavaScript off; checks headings and images. */
async function openOffline(browser, kit, file, { headings, images, shot }) {
  const context = await browser.newContext({
    ...DEVICES.phone,
    locale: 'fr-FR',
    offline: true,
    javaScriptEnabled: false,
  });
  try {
    const page = await context.newPage();
    const requests = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    // Only the file itself was asked for: nothing else to fetch, and no network anyway.
    assert.deepEqual(requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:')), []);

    const shown = await page.locator('h2').allInnerTexts();
    for (const heading of headings) {
      assert.ok(shown.includes(heading), `heading "${heading}" in ${path.basename(file)}: ${shown}`);
      assert.ok(await page.getByRole('heading', { name: heading, exact: true }).first().isVisible(), heading);
    }
    const sizes = await page.locator('img').evaluateAll((imgs) => imgs.map((img) => ({
      complete: img.complete,
      width: img.naturalWidth,
      src: img.getAttribute('src').slice(0, 30),
    })));
    assert.equal(sizes.length, images, `images in ${path.basename(file)}`);
    for (const size of sizes) {
      assert.ok(size.complete && size.width > 0, `image ${size.src}… did not load`);
    }

    const problems = await auditPage(page, {
      device: 'phone',
      baseUrl: 'file://',
      screenshotPath: path.join(SCREENSHOT_DIR, `takehome-${shot}.png`),
      javaScriptEnabled: false,
    });
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
}

describe('emporter sur mon téléphone (navigateur)', () => {
  let kit;
  let browser;
  let dir;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mednum-kit-e2e-takehome-'));
    kit = await startKit();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    if (kit) await kit.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('le tutoriel téléchargé s’ouvre sans réseau avec toutes ses étapes et images', { timeout: TIMEOUT_MS }, async () => {
    const slug = 'faire-une-capture-d-ecran';
    // What the portal shows: the step headings and the pack's images of the all-steps page.
    const portal = await (await fetch(`${kit.baseUrl}/tutoriels/${slug}/tout`)).text();
    const headings = [...portal.matchAll(/<h2 id="etape-\d+-titre">([^<]*)<\/h2>/g)].map((m) => m[1]
      .replace(/&#39;/g, "'").replace(/&amp;/g, '&'));
    const images = [...portal.matchAll(/<img src="\/contenus\//g)].length;
    assert.equal(headings.length, 8);
    assert.ok(images >= 2, `images on the portal page: ${images}`);

    const { saved, name } = await download(browser, kit, dir, `/tutoriels/${slug}`, 'Emporter sur mon téléphone');
    assert.equal(name, "Faire une capture d'écran.html");
    const bytes = (await stat(saved)).size;
    assert.ok(bytes <= 150 * 1024, `${bytes} bytes`);
    const text = await readFile(saved, 'utf8');
    assert.ok(!text.includes('<script'), 'no script');

    await openOffline(browser, kit, saved, { headings, images, shot: 'tutoriel' });
  });

  test('la page à imprimer passe l’audit et cache son menu sur papier', { timeout: TIMEOUT_MS }, async () => {
    const context = await browser.newContext({ ...DEVICES.desktop, locale: 'fr-FR' });
    try {
      const page = await context.newPage();
      const response = await page.goto(`${kit.baseUrl}/tutoriels/faire-une-capture-d-ecran/imprimer`);
      assert.equal(response.status(), 200);
      assert.equal(await page.locator('section.step').count(), 8);
      const problems = await auditPage(page, {
        device: 'desktop',
        baseUrl: kit.baseUrl,
        screenshotPath: path.join(SCREENSHOT_DIR, 'takehome-imprimer.png'),
      });
      assert.deepEqual(problems, []);
      assert.ok(await page.locator('nav.no-print').isVisible());
      await page.emulateMedia({ media: 'print' });
      assert.ok(!(await page.locator('nav.no-print').isVisible()), 'no menu on paper');
      const printed = await page.evaluate(() => ({
        body: parseFloat(getComputedStyle(document.body).fontSize),
        step: getComputedStyle(document.querySelector('section.step')).breakInside,
      }));
      // 14 pt = 18.67 CSS px.
      assert.ok(printed.body >= 18.6, `body ${printed.body}px on paper`);
      assert.equal(printed.step, 'avoid');
    } finally {
      await context.close();
    }
  });

  test('les réponses revues partent en fichier et s’ouvrent sans réseau', { timeout: TIMEOUT_MS }, async () => {
    const context = await browser.newContext({ ...DEVICES.phone, locale: 'fr-FR', acceptDownloads: true });
    let saved;
    try {
      const page = await context.newPage();
      await page.goto(`${kit.baseUrl}/formulaires/compte-e-mail`);
      const next = async () => Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Suivant' }).tap()]);
      await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Commencer' }).tap()]);
      for (const typed of ['Claire', 'Martin', '03/04/1950', 'claire.martin59']) {
        await page.locator('#reponse').fill(typed);
        await next();
      }
      await page.getByLabel('Non').check();
      await next();
      await next(); // the other address is optional
      await page.getByLabel('Oui').check();
      await next();
      assert.equal(await page.locator('h1').innerText(), 'Vos réponses');
      const [file] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Emporter sur mon téléphone' }).tap(),
      ]);
      assert.equal(file.suggestedFilename(), 'Créer une adresse e-mail - mes réponses.html');
      saved = path.join(dir, file.suggestedFilename());
      await file.saveAs(saved);
      // The review page stays on screen.
      assert.equal(await page.locator('h1').innerText(), 'Vos réponses');
    } finally {
      await context.close();
    }
    const text = await readFile(saved, 'utf8');
    for (const answer of ['Claire', 'Martin', '03/04/1950', 'claire.martin59']) {
      assert.ok(text.includes(answer), answer);
    }
    await openOffline(browser, kit, saved, {
      headings: ['Vous', 'Votre nouvelle adresse'],
      images: 0,
      shot: 'reponses',
    });
  });

  test('le formulaire vide téléchargé s’ouvre sans réseau', { timeout: TIMEOUT_MS }, async () => {
    const { saved, name } = await download(browser, kit, dir, '/formulaires/compte-e-mail', 'Emporter sur mon téléphone');
    assert.equal(name, 'Créer une adresse e-mail.html');
    await openOffline(browser, kit, saved, {
      headings: ['Vous', 'Votre nouvelle adresse', 'Les papiers à préparer'],
      images: 1,
      shot: 'formulaire',
    });
  });
});
