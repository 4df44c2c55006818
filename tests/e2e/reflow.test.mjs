// Large text, narrow screens, finger-sized targets and right-to-left pages (issue #17): every
// kind of learner page, and the admin pages, on a 360 px phone at 200 % text and on a 320 px
// phone at 100 % and 200 % text, with "A+" and in Arabic (dir="rtl"). On each page: nothing
// scrolls or sticks out sideways, every tap target outside running text is ≥ 44 px high, the
// layout follows the reading direction; and the style sheets use logical properties only.
// Run with: bash tests/e2e/run.sh (or `node --test tests/e2e/reflow.test.mjs` after a build).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { RTL_LANGS, auditPage } from './audit.mjs';
import { SCREENSHOT_DIR, launchBrowser } from './browser.mjs';
import { KIT_BIN, REPO_ROOT, startKit } from './kit.mjs';

const TEST_TIMEOUT_MS = 240_000;
const PASSWORD = 'le chat dort au soleil';
/** WCAG 2.5.5: the smallest tap target, in CSS pixels. */
const MIN_TARGET_PX = 44;
/** The browser's default text sizes (standard, fixed) at 100 %. */
const DEFAULT_FONT_PX = { standard: 16, fixed: 13 };
/** "A+" (html.texte-grand) makes the root text this much larger, within these bounds. */
const LARGE_TEXT_RATIO = [1.25, 1.4];
/** The address form of the starter pack, filled as a learner would (with one refused answer). */
const ADDRESS_FORM = '/formulaires/changer-d-adresse';
const ADDRESS_ANSWERS = ['Martin', 'Claire', '03/04/1950', '12 rue des Lilas', ['Douai', '5950'],
  ['Douai', '59500'], '5 avenue Jean Jaurès', ['Lille', '59000'], '01/09/2026', 'La CAF', ''];
/** A word longer than any screen is wide, as an address pasted in the search box would be. */
const LONG_WORD = 'httpswwwservicepublicfrparticuliersvosdroitsF1234changementdadresse';

/**
 * The phones. `scale` is the phone's text size setting (1 = 100 %), emulated by the
 * browser's default font sizes: the portal's sizes are in rem, so they follow it as they
 * follow a phone's setting.
 */
const SETUPS = [
  { name: '360px-texte200', width: 360, height: 740, scale: 2 },
  { name: '320px-texte100', width: 320, height: 640, scale: 1 },
  { name: '320px-texte200', width: 320, height: 640, scale: 2 },
  { name: '320px-texte200-A+', width: 320, height: 640, scale: 2, large: true },
  { name: '320px-texte200-arabe', width: 320, height: 640, scale: 2, lang: 'ar', audit: true },
  { name: '320px-texte200-arabe-A+', width: 320, height: 640, scale: 2, lang: 'ar', large: true },
];

describe('mise en page : grand texte, 320 px, cibles de 44 px, droite à gauche (navigateur)', () => {
  let kit;
  let browser;
  let work;
  /** [{ label, path, status }] of every learner page kind, found by following the portal. */
  let learnerPages;
  /** The same for the admin and conseiller pages (asked with `staffCookies`). */
  let staffPages;
  let staffCookies;

  before(async () => {
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    kit = await startKit();
    work = await mkdtemp(path.join(tmpdir(), 'mednum-e2e-reflow-'));
    await importWidePack(kit, work);
    await createAdmin(kit, 'claire', PASSWORD);
    browser = await launchBrowser();
    ({ learnerPages, staffPages, staffCookies } = await discoverPages(browser, kit.baseUrl));
  });

  after(async () => {
    await browser?.close();
    if (kit) await kit.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('les feuilles de style n\'utilisent que des propriétés logiques (gauche/droite)', async () => {
    // The check itself first: it must see each kind of physical property.
    const faulty = '.a { margin-left: 1px } .b { padding: 0 1rem 0 2rem } .c { left: 0 }\n'
      + '.d { text-align: right } .e { border-right: 0 } .f { float: left } .g { inset: 0 1px 0 0 }';
    assert.equal(physicalProperties(faulty).length, 7, physicalProperties(faulty).join('\n'));
    assert.deepEqual(physicalProperties('/* left */ .a { margin: 0 auto; padding: 1px min(1rem, 5vw) 2px;'
      + ' margin-inline-start: 1px; text-align: start; inset-inline-start: 0 }'), []);
    for (const name of ['kit.css', 'forms.css', 'admin.css']) {
      const css = await readFile(path.join(REPO_ROOT, 'src', 'web', 'assets', name), 'utf8');
      assert.deepEqual(physicalProperties(css), [], `${name}: use the logical property instead`);
    }
  });

  for (const setup of SETUPS) {
    test(`chaque page, ${setup.name}`, { timeout: TEST_TIMEOUT_MS }, async (t) => {
      const problems = await checkSetup(browser, kit.baseUrl, setup, {
        learnerPages, staffPages, staffCookies, log: (line) => t.diagnostic(line),
      });
      if (problems.length) {
        assert.fail(`${problems.length} problem(s) at ${setup.name}:\n  - ${problems.join('\n  - ')}`);
      }
    });
  }
});

/** `mednum-kit admin create-user NAME --role admin --password-stdin`, the password piped in. */
async function createAdmin(kit, name, password) {
  await new Promise((resolve, reject) => {
    const p = spawn(KIT_BIN, ['--data-dir', kit.dataDir, 'admin', 'create-user', name,
      '--role', 'admin', '--password-stdin'], {
      stdio: ['pipe', 'ignore', 'inherit'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' },
    });
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`admin create-user exited ${code}`))));
    p.stdin.end(`${password}\n`);
  });
}

/**
 * A pack with what widens pages: a long address in the text, a wide table, a code block and
 * a big picture; imported beside the starter pack.
 */
async function importWidePack(kit, dir) {
  const src = path.join(dir, 'src');
  const cells = Array.from({ length: 8 }, (_, i) => `Colonne ${i + 1}`);
  const files = {
    'pack.toml': 'id = "mise-en-page"\nversion = "1.0.0"\ntitle = "Mise en page"\n'
      + 'description = "Des pages larges."\nlanguages = ["fr"]\nlicense = "CC-BY-SA-4.0"\n'
      + 'created = "2026-12-01"\n',
    'themes/pages-larges.md': '+++\ntitle = "Pages larges"\nsummary = "Des tableaux et des adresses."\n'
      + 'order = 90\n+++\nIci, les pages sont larges.\n',
    'tutorials/tableau-large.md': '+++\ntitle = "Lire un tableau large"\ntheme = "pages-larges"\n'
      + 'level = "debutant"\nduration = 5\nsummary = "Un tableau et une adresse longue."\n+++\n'
      + `Allez sur https://www.service-public.fr/particuliers/vosdroits/F1234-${LONG_WORD}.\n\n`
      + '## Lisez le tableau\n'
      + `| ${cells.join(' | ')} |\n|${cells.map(() => '---').join('|')}|\n`
      + `| ${cells.map(() => '1 234 567 euros').join(' | ')} |\n\n`
      + '```\nmot-de-passe-tres-long-que-personne-ne-devine = "cheval-agrafe-batterie-correct"\n```\n\n'
      + '![Un grand plan](../images/plan.svg)\n\n'
      + '## Gardez la page\nÉcrivez le nom du site sur un papier.\n',
    'images/plan.svg': '<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="300" '
      + 'viewBox="0 0 1200 300"><title>Un plan</title><rect width="1200" height="300" fill="#0b4f8a"/></svg>\n',
  };
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(src, rel)), { recursive: true });
    await writeFile(path.join(src, rel), text);
  }
  const pack = path.join(dir, 'mise-en-page.kitpack');
  await kit.cli(['pack', 'build', src, '--out', pack]);
  await kit.cli(['pack', 'import', pack, '--allow-untrusted']);
}

/**
 * Follows the portal as a visitor does to find one real page of each kind, logs in as the
 * admin and starts a workshop (so that its banner, the learner's workshop page and the
 * conseiller's dashboard exist), and lists the admin pages from the admin's menu.
 */
async function discoverPages(browser, baseUrl) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'fr-FR' });
  try {
    const page = await context.newPage();
    const open = async (p) => {
      const res = await page.goto(new URL(p, baseUrl).href);
      assert.equal(res.status(), 200, `${p} answers`);
    };
    const hrefOf = async (selector) => {
      const found = await page.locator(selector).first().getAttribute('href');
      assert.ok(found, `a link ${selector} on ${page.url()}`);
      return found;
    };

    // The conseiller starts a workshop first: every learner page then shows its banner.
    await open('/admin/connexion');
    await page.locator('#nom').fill('claire');
    await page.locator('#mot_de_passe').fill(PASSWORD);
    await Promise.all([page.waitForURL(/\/admin$/), page.getByRole('button', { name: 'Se connecter' }).click()]);
    await open('/admin/atelier');
    const firstWorkshop = await page.locator('#atelier option:not([value=""])').first().getAttribute('value');
    await page.locator('#atelier').selectOption(firstWorkshop);
    await page.locator('#lieu').fill('Médiathèque des Tilleuls');
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: "C'est parti" }).click()]);
    await page.waitForLoadState('load');
    const staffCookies = await context.cookies();

    await open('/admin');
    const staffPaths = new Set(['/admin', ...await page.locator('header.site nav a[href^="/admin/"]')
      .evaluateAll((as) => as.map((a) => a.getAttribute('href')))]);
    await open('/admin/atelier');
    staffPaths.add(await hrefOf('main a[href="/admin/atelier/projecteur"]'));
    await open('/admin/comptes-rendus');
    staffPaths.add(await hrefOf('main a[href="/admin/comptes-rendus/nouveau"]'));
    await open('/admin/formulaires');
    staffPaths.add(await hrefOf('main a[href^="/admin/formulaires/"]'));
    await context.clearCookies();

    await open('/');
    const theme = await hrefOf('main ul.cards a.card[href^="/themes/"]');
    await open(theme);
    const tutorial = await hrefOf('main a.card[href^="/tutoriels/"]');
    await open(tutorial);
    const steps = await page.locator('main ol.steps a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    assert.ok(steps.length >= 2, `${tutorial} has several steps`);
    const title = await page.locator('main h1').innerText();
    const word = title.split(/\s+/).find((w) => w.length >= 5) ?? title;
    await open('/ateliers');
    const workshop = await hrefOf('main a.card[href^="/ateliers/"]');
    await open('/glossaire');
    const entry = await hrefOf('main a.card[href^="/glossaire/"]');
    await open('/formulaires');
    const form = await hrefOf('main a.card[href^="/formulaires/"]');

    const learner = [
      ['accueil', '/'],
      ['thème', theme],
      ['tutoriel', tutorial],
      ['première étape', steps[0]],
      ['étape du milieu', steps[Math.floor(steps.length / 2)]],
      ['dernière étape', steps.at(-1)],
      ['toutes les étapes', `${tutorial}/tout`],
      ['thème large', '/themes/pages-larges'],
      ['tutoriel large', '/tutoriels/tableau-large'],
      ['étape large', '/tutoriels/tableau-large/etape/1'],
      ['ateliers', '/ateliers'],
      ['atelier', workshop],
      ['recherche', `/recherche?q=${encodeURIComponent(word)}`],
      ['recherche d\'un mot très long', `/recherche?q=${LONG_WORD}`],
      ['glossaire', '/glossaire'],
      ['mot du glossaire', entry],
      ['formulaires', '/formulaires'],
      ['formulaire', form],
      ['bienvenue', '/bienvenue'],
      ['atelier en cours', '/atelier'],
      ['aide', '/aide'],
      ['page introuvable', '/cette-page-n-existe-pas', 404],
    ].map(([label, p, status = 200]) => ({ label, path: p, status }));
    const staff = [...staffPaths].map((p) => ({ label: p, path: p, status: 200 }));
    return { learnerPages: learner, staffPages: staff, staffCookies };
  } finally {
    await context.close();
  }
}

/** Every page on one phone; resolves to the problems found (strings). */
async function checkSetup(browser, baseUrl, setup, { learnerPages, staffPages, staffCookies, log }) {
  const context = await browser.newContext({
    viewport: { width: setup.width, height: setup.height },
    isMobile: true,
    hasTouch: true,
    deviceScaleFactor: 2,
    locale: 'fr-FR',
  });
  const cookies = [];
  if (setup.lang) cookies.push({ name: 'langue', value: setup.lang, url: baseUrl });
  if (setup.large) cookies.push({ name: 'texte', value: 'grand', url: baseUrl });
  await context.addCookies(cookies);
  const problems = [];
  // How often each check found something to look at: none of them may pass for lack of it.
  const seen = { targets: 0, headings: 0, arrows: 0, separators: 0, progressBars: 0, readOnlyFields: 0 };
  let shot = 0;
  try {
    const page = await context.newPage();
    page.on('pageerror', (err) => problems.push(`${page.url()}: script error: ${err.message}`));
    // The phone's text size: the browser's default sizes, which 1rem follows.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Page.enable');
    await cdp.send('Page.setFontSizes', {
      fontSizes: { standard: DEFAULT_FONT_PX.standard * setup.scale, fixed: DEFAULT_FONT_PX.fixed * setup.scale },
    });

    const check = async (label, { status = 200 } = {}, response = null) => {
      const where = `${label} ${pathOf(page.url(), baseUrl)}`;
      if (response) assert.equal(response.status(), status, `HTTP status of ${where}`);
      const found = (await checkPage(page, setup, seen)).map((p) => `${where}: ${p}`);
      if (setup.audit) {
        found.push(...await auditPage(page, { device: setup.name, baseUrl, lang: setup.lang ?? 'fr', log }));
      }
      if (found.length) {
        shot += 1;
        const file = path.join(SCREENSHOT_DIR, `reflow-${setup.name}-${shot}.png`);
        await screenshotWholePage(page, setup, file);
        found.push(`${where}: see ${path.relative(REPO_ROOT, file)}`);
      }
      problems.push(...found);
    };
    const visit = async ({ label, path: p, status }) => {
      const response = await page.goto(new URL(p, baseUrl).href, { waitUntil: 'load' });
      await check(label, { status }, response);
    };
    const press = async (label, button) => {
      const [response] = await Promise.all([
        page.waitForNavigation({ waitUntil: 'load' }),
        button.click(),
      ]);
      await check(label, {}, response);
    };

    for (const p of learnerPages) await visit(p);

    // A practice form, question after question (its pages answer POSTs): a question, a
    // refused answer, the review and the print page.
    await visit({ label: 'présentation du formulaire', path: ADDRESS_FORM, status: 200 });
    await press('question', page.locator('form.start button[value=commencer]'));
    for (const answer of ADDRESS_ANSWERS) {
      const [commune, value] = Array.isArray(answer) ? answer : [null, answer];
      if (commune !== null) await page.locator('#commune').fill(commune);
      const choice = page.getByLabel(value, { exact: true });
      if (value && await page.locator('.choices').count() && await choice.count()) await choice.check();
      else if (await page.locator('#reponse').count()) await page.locator('#reponse').fill(value);
      const refused = value === '5950';
      await press(refused ? 'réponse refusée' : 'question', page.locator('button[value=suivant]'));
    }
    // The review (its title is in the phone's language): the one page with "Imprimer".
    assert.equal(await page.locator('button[value=imprimer]').count(), 1, `the review after the last answer (${setup.name})`);
    await press('impression', page.locator('button[value=imprimer]'));

    // The admin's pages: the login page first, then every page of the menu.
    await visit({ label: 'connexion', path: '/admin/connexion', status: 200 });
    await context.addCookies(staffCookies);
    for (const p of staffPages) await visit(p);
  } finally {
    await context.close();
  }
  for (const [check, count] of Object.entries(seen)) {
    if (count === 0) problems.push(`the check of ${check} found nothing to check on any page`);
  }
  return problems;
}

/**
 * A picture of the whole page at the phone's text size. (Playwright's `fullPage` changes the
 * device metrics for the shot, which drops Chromium's emulated font sizes on the current
 * document: the picture would show 100 % text. A taller viewport keeps them.)
 */
async function screenshotWholePage(page, setup, file) {
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width: setup.width, height: Math.min(height, 12_000) });
  try {
    await page.screenshot({ path: file });
  } finally {
    await page.setViewportSize({ width: setup.width, height: setup.height });
  }
}

/** The checks of one page as it is now, in this setup; resolves to the problems found. */
async function checkPage(page, setup, seen) {
  const rtl = RTL_LANGS.has(setup.lang);
  const facts = await page.evaluate(measurePage, { vw: setup.width, minTarget: MIN_TARGET_PX });
  const problems = [];
  seen.targets += facts.targetCount;
  seen.headings += facts.headings.length;
  seen.arrows += facts.arrows.length;
  seen.separators += facts.separators.length;
  seen.readOnlyFields += facts.readOnlyCount;

  // The emulation is in force (1rem of the page doubles at 200 %), else every other check
  // here would pass for the wrong reason.
  const expectedMedium = DEFAULT_FONT_PX.standard * setup.scale;
  if (facts.mediumPx !== expectedMedium) {
    problems.push(`the browser's default text is ${facts.mediumPx}px, expected ${expectedMedium}px (text size not emulated)`);
  }
  const ratio = facts.remPx / facts.mediumPx;
  if (setup.large ? !(ratio >= LARGE_TEXT_RATIO[0] && ratio <= LARGE_TEXT_RATIO[1]) : ratio !== 1) {
    problems.push(`1rem is ${facts.remPx}px for a default of ${facts.mediumPx}px: ratio ${ratio.toFixed(2)}, expected `
      + `${setup.large ? `${LARGE_TEXT_RATIO.join('–')} with "A+"` : '1 (the page follows the phone)'}`);
  }
  if (Boolean(setup.large) !== facts.largeClass) problems.push(`<html class="texte-grand"> ${facts.largeClass ? 'present' : 'missing'}`);
  const lang = setup.lang ?? 'fr';
  if (facts.lang !== lang) problems.push(`<html lang="${facts.lang}">, expected "${lang}"`);
  if (facts.dir !== (rtl ? 'rtl' : 'ltr')) problems.push(`<html dir="${facts.dir}">, expected "${rtl ? 'rtl' : 'ltr'}"`);

  if (facts.clientWidth !== setup.width) problems.push(`the viewport is ${facts.clientWidth}px wide, expected ${setup.width}px`);
  if (facts.scrollWidth > facts.clientWidth) {
    problems.push(`the page scrolls sideways: ${facts.scrollWidth - facts.clientWidth}px (scrollWidth ${facts.scrollWidth})`);
  }
  for (const o of facts.outside) problems.push(`beyond the screen's width: ${o}`);
  for (const o of facts.smallTargets) problems.push(`tap target smaller than ${MIN_TARGET_PX}px: ${o}`);
  for (const o of facts.cutInputs) problems.push(`a read-only field does not show its whole value: ${o}`);

  // The layout follows the reading direction: the page's, or a heading's own (text in
  // another language than the page's carries its own `dir`).
  for (const box of [facts.brand, ...facts.headings]) {
    const boxRtl = box?.rtl ?? rtl;
    const startSide = boxRtl ? 'right' : 'left';
    if (box && Math.abs(boxRtl ? box.boxEnd - box.contentEnd : box.contentStart - box.boxStart) > 2) {
      problems.push(`${box.what} does not start on the ${startSide} `
        + `(content ${Math.round(box.contentStart)}–${Math.round(box.contentEnd)} in ${Math.round(box.boxStart)}–${Math.round(box.boxEnd)})`);
    }
  }
  for (const a of facts.arrows) {
    if (a.mirrored !== rtl) problems.push(`arrow in ${a.what} ${a.mirrored ? 'mirrored' : 'not mirrored'} (${rtl ? 'rtl' : 'ltr'})`);
  }
  // "›" is a mirrored character: right-to-left text shows it as "‹" by itself.
  for (const c of facts.separators) {
    if (!c.content.includes('›') || c.direction !== (rtl ? 'rtl' : 'ltr')) {
      problems.push(`breadcrumb separator ${c.content} in ${c.direction} text, expected "›" in ${rtl ? 'rtl' : 'ltr'} text`);
    }
  }

  // A progress bar fills from the start side: from the right in Arabic.
  const bar = page.locator('main progress');
  if (await bar.count() === 1 && await bar.isVisible()) {
    const value = Number(await bar.getAttribute('value'));
    const max = Number(await bar.getAttribute('max'));
    if (value > 0 && value < max) {
      seen.progressBars += 1;
      const side = filledSide(await bar.screenshot({ animations: 'disabled' }));
      const expected = rtl ? 'right' : 'left';
      if (side !== expected) problems.push(`the progress bar (${value}/${max}) fills from the ${side}, expected the ${expected}`);
    }
  }
  return problems;
}

// Runs inside the page: must be self-contained.
function measurePage({ vw, minTarget }) {
  const describe = (el) => {
    const parts = [];
    for (let e = el; e && e.nodeType === 1 && parts.length < 4; e = e.parentElement) {
      let part = e.localName;
      if (e.id) {
        parts.unshift(`${part}#${e.id}`);
        break;
      }
      if (e.classList.length) part += `.${[...e.classList].join('.')}`;
      parts.unshift(part);
    }
    const text = (el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 30);
    return text ? `${parts.join(' > ')} "${text}"` : parts.join(' > ');
  };
  const styles = new Map();
  const style = (el) => {
    if (!styles.has(el)) styles.set(el, getComputedStyle(el));
    return styles.get(el);
  };
  // The nearest element from `el` up that clips its content sideways (a scroll box, or a
  // visually hidden element): what is inside may extend past the screen, the box may not.
  const clips = new Map();
  const clipperOf = (el) => {
    if (!el || el === document.documentElement || el === document.body) return null;
    if (!clips.has(el)) {
      const s = style(el);
      clips.set(el, s.overflowX !== 'visible' || s.clipPath !== 'none' ? el : clipperOf(el.parentElement));
    }
    return clips.get(el);
  };
  const round = (n) => Math.round(n);
  const beyond = (r) => r.right > vw + 1 || r.left < -1;

  // Boxes and lines of text that stick out of the screen (the outermost of each).
  const outside = [];
  const flagged = new Set();
  for (const el of document.body.querySelectorAll('*')) {
    if (clipperOf(el.parentElement)) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (!beyond(r)) continue;
    flagged.add(el);
    if (!flagged.has(el.parentElement)) outside.push(`${describe(el)} [${round(r.left)}, ${round(r.right)}]`);
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.data.trim() || clipperOf(node.parentElement) || flagged.has(node.parentElement)) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) {
      if (r.width > 0 && beyond(r)) {
        outside.push(`text of ${describe(node.parentElement)} [${round(r.left)}, ${round(r.right)}]`);
        break;
      }
    }
  }

  // Tap targets: whatever a finger presses, outside a sentence (WCAG 2.5.8's inline
  // exception covers a link inside running text only).
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    const s = style(el);
    // checkVisibility: not in a closed <details>, not visibility: hidden, not transparent.
    return el.checkVisibility({ contentVisibilityAuto: true, visibilityProperty: true, opacityProperty: true })
      && r.width >= 2 && r.height >= 2 && s.clipPath === 'none';
  };
  const inSentence = (el) => {
    if (style(el).display !== 'inline') return false;
    let block = el.parentElement;
    while (block && style(block).display === 'inline') block = block.parentElement;
    let text = '';
    const walk = (parent) => {
      for (const child of parent.childNodes) {
        if (child === el) continue;
        if (child.nodeType === 3) text += child.data;
        else if (child.nodeType === 1 && style(child).display === 'inline') walk(child);
      }
    };
    if (block) walk(block);
    return /[\p{L}\p{N}]/u.test(text);
  };
  const smallTargets = [];
  const counted = new Set();
  const selector = 'a[href], button, summary, select, textarea, input:not([type=hidden]), [role=button]';
  for (const el of document.querySelectorAll(selector)) {
    if (!shown(el) || inSentence(el)) continue;
    const isToggle = el.localName === 'input' && /^(checkbox|radio)$/.test(el.type);
    const target = (isToggle && el.closest('label')) || el;
    if (counted.has(target)) continue;
    counted.add(target);
    const r = target.getBoundingClientRect();
    const label = (target.innerText || target.value || target.getAttribute('aria-label') || '').trim();
    const iconOnly = label.length <= 2 && !isToggle;
    if (r.height < minTarget - 0.5 || (iconOnly && r.width < minTarget - 0.5)) {
      smallTargets.push(`${describe(target)} ${round(r.width)}×${round(r.height)}`);
      continue;
    }
    // The whole height answers a finger: a tap at its top and at its bottom reaches it (so
    // padding that only looks tall, or a box covered by another, does not count).
    if (r.height <= innerHeight - 4) {
      target.scrollIntoView({ block: 'center', inline: 'nearest' });
      const parts = [...target.getClientRects()].filter((p) => p.width > 0);
      const first = parts[0];
      const last = parts.at(-1);
      const reaches = (x, y) => {
        const hit = document.elementFromPoint(x, y);
        return hit !== null && (target.contains(hit) || hit.closest('label') === target);
      };
      if (!reaches((first.left + first.right) / 2, first.top + 2)
        || !reaches((last.left + last.right) / 2, last.bottom - 2)) {
        smallTargets.push(`${describe(target)} ${round(r.width)}×${round(r.height)} does not answer a tap at its top or bottom`);
      }
    }
  }
  window.scrollTo(0, 0);

  // A read-only field (the address to type elsewhere) shows its whole value.
  const readOnly = [...document.querySelectorAll('input[readonly]')].filter(shown);
  const cutInputs = readOnly.filter((el) => el.scrollWidth > el.clientWidth + 1)
    .map((el) => `${describe(el)} "${el.value}" (${el.scrollWidth}px in ${el.clientWidth}px)`);

  // Direction: the site's name at the start of the header, headings starting at the start
  // side (their first line), arrows, separators.
  const innerBox = (el) => {
    const s = style(el);
    const box = el.getBoundingClientRect();
    return {
      start: box.left + parseFloat(s.paddingLeft) + parseFloat(s.borderLeftWidth),
      end: box.right - parseFloat(s.paddingRight) - parseFloat(s.borderRightWidth),
    };
  };
  const header = document.querySelector('header.site');
  const brandEl = header?.querySelector('.brand');
  const brand = brandEl && shown(brandEl) ? (() => {
    const inner = innerBox(header);
    const box = brandEl.getBoundingClientRect();
    return {
      what: 'the site\'s name in the header',
      boxStart: inner.start,
      boxEnd: inner.end,
      contentStart: box.left,
      contentEnd: box.right,
    };
  })() : null;
  const headings = [...document.querySelectorAll('main h1, main h2')]
    .filter((h) => shown(h) && style(h).textAlign !== 'center').slice(0, 3).map((h) => {
      const range = document.createRange();
      range.selectNodeContents(h);
      const rects = [...range.getClientRects()].filter((r) => r.width > 0);
      // The first line (in a right-to-left line, its runs come in logical order).
      const line = rects.filter((r) => rects.length && Math.abs(r.top - rects[0].top) < 2);
      const inner = innerBox(h);
      return {
        what: describe(h),
        boxStart: inner.start,
        boxEnd: inner.end,
        contentStart: Math.min(...line.map((r) => r.left)),
        contentEnd: Math.max(...line.map((r) => r.right)),
        // Its own direction: a French title in an Arabic page is marked dir="ltr".
        rtl: style(h).direction === 'rtl',
      };
    }).filter((h) => h.boxEnd > h.boxStart && Number.isFinite(h.contentStart));
  const arrows = [...document.querySelectorAll('.arrow')].filter((a) => a.getClientRects().length)
    .map((a) => {
      const m = style(a).transform;
      return { what: describe(a.parentElement), mirrored: m !== 'none' && new DOMMatrix(m).a < 0 };
    });
  const separators = [...document.querySelectorAll('nav.crumbs li + li')].map((li) => ({
    content: getComputedStyle(li, '::before').content,
    direction: style(li).direction,
  }));

  const probe = document.createElement('div');
  probe.style.fontSize = 'medium';
  document.body.append(probe);
  const mediumPx = parseFloat(getComputedStyle(probe).fontSize);
  probe.remove();
  const root = document.documentElement;
  return {
    lang: root.getAttribute('lang'),
    dir: root.getAttribute('dir'),
    largeClass: root.classList.contains('texte-grand'),
    mediumPx,
    remPx: parseFloat(getComputedStyle(root).fontSize),
    clientWidth: root.clientWidth,
    scrollWidth: root.scrollWidth,
    outside: outside.slice(0, 12),
    smallTargets,
    targetCount: counted.size,
    cutInputs,
    readOnlyCount: readOnly.length,
    brand,
    headings,
    arrows,
    separators,
  };
}

/**
 * Which end of a progress bar's picture is filled: 'left' or 'right' (the darker end: the
 * fill is the accent colour, the track a pale grey), or 'neither'.
 */
function filledSide(png) {
  const { width, height, pixel } = decodePng(png);
  const y = Math.floor(height / 2);
  const lum = (x) => {
    const [r, g, b] = pixel(x, y);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const left = lum(Math.floor(width * 0.08));
  const right = lum(Math.floor(width * 0.92));
  if (Math.abs(left - right) < 40) return 'neither';
  return left < right ? 'left' : 'right';
}

/** A minimal PNG reader (8-bit RGB or RGBA, not interlaced: what Chromium's screenshots are). */
export function decodePng(buf) {
  assert.equal(buf.toString('latin1', 1, 4), 'PNG', 'a PNG file');
  let pos = 8;
  let width;
  let height;
  let colorType;
  const data = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    const body = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      assert.equal(body[8], 8, '8 bits per channel');
      colorType = body[9];
      assert.ok(colorType === 2 || colorType === 6, `RGB or RGBA PNG, got colour type ${colorType}`);
      assert.equal(body[12], 0, 'not interlaced');
    } else if (type === 'IDAT') {
      data.push(body);
    } else if (type === 'IEND') {
      break;
    }
    pos += 12 + len;
  }
  const bpp = colorType === 6 ? 4 : 3;
  const raw = inflateSync(Buffer.concat(data));
  const stride = width * bpp;
  const out = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y += 1) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x += 1) {
      const a = x >= bpp ? out[y * stride + x - bpp] : 0;
      const b = y > 0 ? out[(y - 1) * stride + x] : 0;
      const c = x >= bpp && y > 0 ? out[(y - 1) * stride + x - bpp] : 0;
      let v = line[x];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      out[y * stride + x] = v & 0xff;
    }
  }
  return {
    width,
    height,
    pixel: (x, y) => [...out.subarray(y * stride + x * bpp, y * stride + x * bpp + 3)],
  };
}

/**
 * Physical (left/right) properties in a style sheet, which do not mirror on right-to-left
 * pages: `margin-left`, `left:`, `text-align: right`, a 4-value `margin`/`padding`/`inset`
 * whose left and right differ, and the like. Returns "line N: declaration" strings.
 */
export function physicalProperties(css) {
  const found = [];
  const text = css.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' '));
  const declarations = /([a-z-]+)\s*:\s*([^;{}]+)/g;
  for (let m = declarations.exec(text); m; m = declarations.exec(text)) {
    const [whole, prop, rawValue] = m;
    const value = rawValue.trim();
    // A selector like `a:hover {` is no declaration: those end at `{`, never at `;` or `}`.
    const end = text[m.index + whole.length];
    if (end === '{') continue;
    const physical = /^(margin|padding|border|inset|scroll-margin|scroll-padding)-(left|right)(-|$)/.test(prop)
      || /^border-(top|bottom)-(left|right)-radius$/.test(prop)
      || /^(left|right)$/.test(prop)
      || (/^(text-align|float|clear|caption-side)$/.test(prop) && /^(left|right)$/.test(value))
      || (/^(margin|padding|inset|border-width|border-style|border-color|scroll-margin|scroll-padding)$/.test(prop)
        && (() => {
          const parts = splitValues(value);
          return parts.length === 4 && parts[1] !== parts[3];
        })());
    if (physical) {
      const line = text.slice(0, m.index).split('\n').length;
      found.push(`line ${line}: ${prop}: ${value}`);
    }
  }
  return found;
}

/** `1px min(1rem, 5vw) 2px` → ['1px', 'min(1rem, 5vw)', '2px']. */
function splitValues(value) {
  const parts = [];
  let depth = 0;
  let current = '';
  for (const ch of value.replace(/!important/, '').trim()) {
    if (ch === '(') depth += 1;
    if (ch === ')') depth -= 1;
    if (/\s/.test(ch) && depth === 0) {
      if (current) parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  if (current) parts.push(current);
  return parts;
}

function pathOf(url, baseUrl) {
  return url.startsWith(baseUrl) ? url.slice(baseUrl.length) || '/' : url;
}
