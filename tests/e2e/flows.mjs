// What a learner does on the portal, one flow per path through it. Each flow runs on every
// device of browser.mjs (unless it names fewer); every page it reaches through goto/follow
// is audited and screenshotted. To add a flow, append an object to `flows`.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

const PASSWORD_TUTORIAL = '/tutoriels/mot-de-passe-solide';
const CALENDAR_TUTORIAL = '/tutoriels/ajouter-un-evenement-au-calendrier';
const ADMIN_PASSWORD = 'le chat dort au soleil';

/** Text as a reader sees it: whitespace runs folded. */
const norm = (s) => s.replace(/\s+/g, ' ').trim();
/** Accents and case folded, as the portal's search does. */
const fold = (s) => norm(s).normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

async function text(locator) {
  return norm(await locator.innerText());
}

/** Types a query in the page's search form and submits it with the "Chercher" button. */
async function search({ page, follow }, query) {
  await page.locator('form.search #q').fill(query);
  await follow(page.locator('form.search').getByRole('button', { name: 'Chercher' }));
  const url = new URL(page.url());
  assert.equal(url.pathname, '/recherche');
  assert.equal(url.searchParams.get('q'), query);
}

/**
 * Overview → "Commencer" → "Suivant" until the end → "Précédent" once.
 * `onStep(ctx, n, total)` adds checks on each step page.
 */
async function followTutorialStepByStep(ctx, onStep = async () => {}) {
  const { page, goto, follow } = ctx;
  await goto(PASSWORD_TUTORIAL);
  assert.equal(await text(page.locator('main h1')), 'Créer un mot de passe solide');

  const start = page.locator('main a.button', { hasText: 'Commencer' });
  assert.equal(await start.getAttribute('href'), `${PASSWORD_TUTORIAL}/etape/1`);
  await follow(start);

  const total = Number(await page.locator('main progress').getAttribute('max'));
  assert.ok(total >= 2, `a tutorial of several steps, got max=${total}`);
  for (let n = 1; ; n += 1) {
    assert.equal(new URL(page.url()).pathname, `${PASSWORD_TUTORIAL}/etape/${n}`);
    const progress = page.locator('main progress');
    assert.equal(await progress.getAttribute('value'), String(n), `progress on step ${n}`);
    assert.equal(await progress.getAttribute('max'), String(total));
    assert.match(await text(page.locator('main .progress-label')), new RegExp(`Étape ${n} sur ${total}`));
    assert.equal(await page.locator('main h1').count(), 1, `one h1 on step ${n}`);
    assert.equal(await page.locator('a[rel=prev]').count(), n > 1 ? 1 : 0, `"Précédent" on step ${n}`);
    await onStep(ctx, n, total);

    const next = page.locator('a[rel=next]');
    if (n === total) {
      assert.equal(await next.count(), 0, 'no "Suivant" on the last step');
      break;
    }
    assert.equal(await text(next), 'Suivant →');
    assert.equal(await page.locator('.done').count(), 0, `no "C'est fini" before the end (step ${n})`);
    await follow(next);
  }

  const done = page.locator('main section.done');
  assert.ok(await done.isVisible(), 'the last step shows the .done section');
  assert.match(await text(done), /C'est fini\. Bravo !/);

  const prev = page.locator('a[rel=prev]');
  assert.equal(await text(prev), '← Précédent');
  await follow(prev);
  assert.equal(new URL(page.url()).pathname, `${PASSWORD_TUTORIAL}/etape/${total - 1}`);
  assert.equal(await page.locator('.done').count(), 0);
  assert.equal(await page.locator('main progress').getAttribute('value'), String(total - 1));
  await onStep(ctx, total - 1, total);
  return total;
}

/** The "Écouter" button of a step: present in the HTML, hidden. */
async function assertListenHidden({ page }) {
  const listen = page.locator('button.listen');
  assert.equal(await listen.count(), 1, 'one "Écouter" button on a step');
  assert.equal(await listen.getAttribute('hidden'), '', 'the button keeps its hidden attribute');
  assert.ok(await listen.isHidden(), '"Écouter" is not shown');
}

// Runs in the page before its scripts: a speechSynthesis that records instead of speaking.
function installFakeSpeech() {
  const state = { spoken: [], cancels: 0, current: null };
  class FakeUtterance {
    constructor(text = '') {
      this.text = text;
      this.lang = '';
      this.rate = 1;
      this.pitch = 1;
      this.volume = 1;
      this.voice = null;
      this.onend = null;
      this.onstart = null;
      this.onerror = null;
    }

    addEventListener() {}

    removeEventListener() {}
  }
  const synth = {
    get speaking() { return state.current !== null; },
    pending: false,
    paused: false,
    speak(u) {
      state.spoken.push({ text: u.text, lang: u.lang, rate: u.rate });
      state.current = u;
    },
    cancel() {
      state.cancels += 1;
      state.current = null;
    },
    pause() {},
    resume() {},
    // A test may set the voices the phone has; none listed by default (as some phones).
    getVoices() { return window.__fakeVoices || []; },
    addEventListener() {},
    removeEventListener() {},
  };
  Object.defineProperty(window, 'speechSynthesis', { configurable: true, get: () => synth });
  Object.defineProperty(window, 'SpeechSynthesisUtterance', {
    configurable: true, writable: true, value: FakeUtterance,
  });
  // For the test: what was said, and the end of the current utterance.
  window.__fakeSpeech = {
    get spoken() { return state.spoken; },
    get cancels() { return state.cancels; },
    finish() {
      const u = state.current;
      state.current = null;
      if (u && typeof u.onend === 'function') u.onend({ type: 'end', utterance: u });
    },
  };
}

// Runs in the page before its scripts: a browser without speech synthesis.
function removeSpeech() {
  for (const name of ['speechSynthesis', 'SpeechSynthesisUtterance']) {
    delete window[name];
    if (name in window) {
      Object.defineProperty(window, name, { configurable: true, value: undefined });
    }
  }
}

/**
 * A phone joins the Wi-Fi: its OS probe lands on the welcome page, "Entrer" opens the
 * portal, and the OS probes then get their "online" answers.
 */
async function captivePortal(ctx) {
  const { page, baseUrl, goto, follow } = ctx;
  const port = new URL(baseUrl).port;
  await goto(`http://connectivitycheck.gstatic.com:${port}/generate_204`);
  assert.equal(page.url(), `${baseUrl}/bienvenue`, 'the probe is redirected to the welcome page');
  assert.equal(await text(page.locator('main h1')), 'Bienvenue');
  assert.equal(await page.locator('#address').inputValue(), new URL(baseUrl).host,
    'the address to type in the real browser');
  const enter = page.getByRole('button', { name: 'Entrer' });
  const box = await enter.boundingBox();
  assert.ok(box.height >= 48 && box.width >= 200, `a big "Entrer" button: ${JSON.stringify(box)}`);
  await follow(enter);
  assert.equal(page.url(), `${baseUrl}/`);
  assert.equal(await text(page.locator('main h1')), 'Bienvenue');

  // What the phone's OS sees now, outside the page (a second tab is not audited).
  const probe = await page.context().newPage();
  try {
    const apple = await probe.goto(`http://captive.apple.com:${port}/hotspot-detect.html`);
    assert.equal(apple.status(), 200);
    assert.match(await apple.text(), /<TITLE>Success<\/TITLE>/);
    // (Not a site on the browsers' HTTPS-only list: those never reach the kit.)
    const other = await probe.goto(`http://www.example.net:${port}/`);
    assert.equal(probe.url(), `${baseUrl}/`, 'another site now leads to the portal home');
    assert.equal(other.status(), 200);
  } finally {
    await probe.close();
  }
}

/** Writes a small pack source (one theme, one tutorial with an image) into `dir`. */
async function writePackSource(dir) {
  const files = {
    'pack.toml': 'id = "fiches-caf"\nversion = "1.0.0"\ntitle = "Fiches CAF"\n'
      + 'description = "Des fiches pour la CAF."\nlanguages = ["fr"]\n'
      + 'license = "CC-BY-SA-4.0"\ncreated = "2026-11-22"\nabbreviations = ["CAF"]\n',
    'themes/aides.md': '+++\ntitle = "Les aides"\nsummary = "Demander une aide."\norder = 20\n'
      + 'icon = "../images/aide.svg"\n+++\nIci, vous apprenez à demander une aide.\n',
    'tutorials/prime-activite.md': '+++\ntitle = "Simuler la prime d\'activité"\n'
      + 'theme = "aides"\nlevel = "debutant"\nduration = 10\n'
      + 'summary = "Savoir si vous pouvez avoir la prime."\n+++\n'
      + 'Vous faites un calcul. Le calcul est gratuit.\n\n'
      + '## Ouvrez le simulateur\nOuvrez le site de la CAF. Cherchez le simulateur.\n\n'
      + '![Un formulaire](../images/aide.svg)\n\n'
      + '## Répondez aux questions\nDonnez vos revenus. Lisez le résultat.\n',
    'images/aide.svg': '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8">'
      + '<title>Une aide</title><rect width="8" height="8" fill="#0b4f8a"/></svg>\n',
  };
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), text);
  }
}


const ADDRESS_FORM = '/formulaires/changer-d-adresse';
const EMAIL_FORM = '/formulaires/compte-e-mail';

/** Types `value` in the question's box and presses "Suivant". */
async function answerQuestion({ page, follow }, value, { status = 200 } = {}) {
  if (value !== null) await page.locator('#reponse').fill(value);
  await follow(page.getByRole('button', { name: 'Suivant' }), { status });
}

/** The question on screen: "Question n sur total" and its title. */
async function questionShown(page, n, total, title) {
  assert.match(await text(page.locator('main .progress-label')), new RegExp(`Question ${n} sur ${total}`));
  assert.equal(await text(page.locator('main h1')), title);
  assert.equal(new URL(page.url()).search, '', 'answers never go in the URL');
}

// The portal in another language, chosen with the `langue` cookie (as the language bar's
// links leave it): every kind of learner page, each audited (axe, lang, dir, type) in that
// language; the bar's own link comes back to the page it was on, without JavaScript.
function languageFlow(code, home, { javaScriptEnabled = true } = {}) {
  return {
    name: `langue-${code}${javaScriptEnabled ? '' : '-sans-js'}`,
    lang: code,
    devices: ['phone'],
    context: { javaScriptEnabled },
    async run({ page, baseUrl, goto, follow }) {
      await page.context().addCookies([{ name: 'langue', value: code, url: baseUrl }]);
      await goto('/');
      assert.equal(await text(page.locator('main h1')), home);
      await follow(page.locator('ul.cards a.card[href="/themes/securite"]'));
      await follow(page.locator(`main a.card[href="${PASSWORD_TUTORIAL}"]`));
      // The French tutorial in a page of another language: marked as French.
      assert.equal(await page.locator('main h1').getAttribute('lang'), 'fr');
      await follow(page.locator(`main a[href="${PASSWORD_TUTORIAL}/etape/1"]`).first());
      await follow(page.locator('a[rel="next"]'));
      await follow(page.locator(`main a[href="${PASSWORD_TUTORIAL}/tout"]`).first());
      // The language bar: this language's own link comes back here.
      const here = new URL(page.url()).pathname;
      await follow(page.locator(`nav.prefs a[lang="${code}"]`));
      assert.equal(new URL(page.url()).pathname, here);
      await goto('/glossaire');
      await goto('/formulaires');
      await goto('/ateliers');
      await goto('/recherche?q=mot+de+passe');
      await goto('/nulle-part', { status: 404 });
    },
  };
}

export const flows = [
  {
    // (1) Home page, themes, search without accents and in capitals.
    name: 'recherche',
    async run(ctx) {
      const { page, goto, follow } = ctx;
      await goto('/');
      assert.equal(await text(page.locator('main h1')), 'Bienvenue');
      const cards = page.locator('ul.cards a.card');
      assert.ok(await cards.count() >= 3, 'several theme cards on the home page');
      const securite = cards.filter({ hasText: 'Sécurité' });
      assert.equal(await securite.count(), 1);
      assert.equal(await securite.getAttribute('href'), '/themes/securite');
      assert.ok(await securite.isVisible());

      await search(ctx, 'evenement');
      const hit = page.locator('ol.results li').filter({
        has: page.locator(`a[href="${CALENDAR_TUTORIAL}"]`),
      });
      assert.equal(await hit.count(), 1, 'the calendar tutorial is found without the accent');
      assert.match(await text(hit.locator('a').first()), /Ajouter un événement au calendrier/);
      const marks = hit.locator('mark');
      assert.ok(await marks.count() >= 1, 'the match is highlighted with <mark>');
      assert.equal(fold(await marks.first().innerText()), 'evenement');

      await search(ctx, 'MOT DE PASSE');
      const links = page.locator('ol.results li a');
      const titles = (await links.allInnerTexts()).map(norm);
      assert.ok(titles.includes('Créer un mot de passe solide'), `results: ${titles.join(' | ')}`);
      await follow(links.filter({ hasText: 'Créer un mot de passe solide' }));
      assert.equal(new URL(page.url()).pathname, PASSWORD_TUTORIAL);
      assert.equal(await text(page.locator('main h1')), 'Créer un mot de passe solide');
    },
  },
  {
    // (2) A tutorial step by step, then all steps on one page.
    name: 'tutoriel',
    async run(ctx) {
      const { page, follow } = ctx;
      await followTutorialStepByStep(ctx);
      await follow(page.getByRole('link', { name: 'Voir toutes les étapes sur une page' }));
      assert.equal(new URL(page.url()).pathname, `${PASSWORD_TUTORIAL}/tout`);
      const headings = (await page.locator('main h2, main h3').allInnerTexts()).map(norm);
      for (const step of ['Évitez les mots de passe faciles', 'Gardez vos mots de passe secrets']) {
        assert.ok(headings.includes(step), `"${step}" on the one-page version: ${headings.join(' | ')}`);
      }
    },
  },
  {
    // (3) The same without JavaScript: everything works, "Écouter" stays hidden.
    name: 'tutoriel-sans-js',
    context: { javaScriptEnabled: false },
    async run(ctx) {
      await followTutorialStepByStep(ctx, assertListenHidden);
    },
  },
  {
    // (4) "Écouter" reads the step aloud in French where the browser can speak.
    name: 'ecouter',
    init: installFakeSpeech,
    async run(ctx) {
      const { page, goto, audit } = ctx;
      await goto(`${PASSWORD_TUTORIAL}/etape/2`);
      const listen = page.locator('button.listen');
      assert.ok(await listen.isVisible(), '"Écouter" is shown where speechSynthesis exists');
      assert.equal(norm(await listen.textContent()), 'Écouter');
      assert.notEqual(await listen.getAttribute('aria-pressed'), 'true');

      const stepText = norm(await page.locator(`#${await listen.getAttribute('data-target')}`).innerText());
      assert.match(stepText, /Choisissez 4 mots/);

      await listen.click();
      let spoken = await page.evaluate(() => window.__fakeSpeech.spoken);
      assert.equal(spoken.length, 1, 'one utterance per click');
      assert.equal(norm(spoken[0].text), stepText, 'the step is read, title and text');
      assert.equal(spoken[0].lang, 'fr-FR');
      assert.equal(norm(await listen.textContent()), 'Arrêter');
      assert.equal(await listen.getAttribute('aria-pressed'), 'true');
      await audit(); // the page while it speaks

      // A second click stops.
      const cancelsBefore = await page.evaluate(() => window.__fakeSpeech.cancels);
      await listen.click();
      assert.ok(await page.evaluate(() => window.__fakeSpeech.cancels) > cancelsBefore, 'speech cancelled');
      spoken = await page.evaluate(() => window.__fakeSpeech.spoken);
      assert.equal(spoken.length, 1, 'stopping does not speak again');
      assert.equal(norm(await listen.textContent()), 'Écouter');
      assert.equal(await listen.getAttribute('aria-pressed'), 'false');

      // Speaking to the end gives the button back.
      await listen.click();
      assert.equal(norm(await listen.textContent()), 'Arrêter');
      await page.evaluate(() => window.__fakeSpeech.finish());
      assert.equal(norm(await listen.textContent()), 'Écouter');
      assert.equal(await listen.getAttribute('aria-pressed'), 'false');
    },
  },
  {
    // (4a) A phone whose voices are all in another language is told so, kindly, and the
    // text is not read by a voice that would mangle it.
    name: 'ecouter-sans-voix',
    devices: ['phone'],
    init: installFakeSpeech,
    async run(ctx) {
      const { page, goto, audit } = ctx;
      await goto(`${PASSWORD_TUTORIAL}/etape/2`);
      await page.evaluate(() => { window.__fakeVoices = [{ lang: 'en-US', name: 'English' }]; });
      const listen = page.locator('button.listen');
      await listen.click();
      assert.equal((await page.evaluate(() => window.__fakeSpeech.spoken)).length, 0, 'nothing read');
      const note = page.locator('.listen-note');
      assert.ok(await note.isVisible(), 'the phone is told it has no voice for the text');
      assert.match(norm(await note.textContent()), /pas de voix/);
      assert.equal(norm(await listen.textContent()), 'Écouter');
      await audit();
      // With a French voice, the same button reads, in that voice.
      await page.evaluate(() => { window.__fakeVoices = [{ lang: 'en-US' }, { lang: 'fr-FR', name: 'Amélie' }]; });
      await listen.click();
      const spoken = await page.evaluate(() => window.__fakeSpeech.spoken);
      assert.equal(spoken.length, 1);
      assert.equal(spoken[0].lang, 'fr-FR');
    },
  },
  {
    // (4b) A browser without speech synthesis never shows "Écouter".
    name: 'ecouter-sans-synthese',
    init: removeSpeech,
    async run(ctx) {
      const { page, goto } = ctx;
      await goto(`${PASSWORD_TUTORIAL}/etape/1`);
      assert.equal(await page.evaluate(() => typeof window.speechSynthesis), 'undefined');
      await assertListenHidden(ctx);
    },
  },
  {
    // (5) Keyboard only: skip link first, then the search field and the themes.
    name: 'clavier',
    devices: ['phone'],
    async run(ctx) {
      const { page, goto, follow } = ctx;
      await goto('/');
      const active = () => page.evaluate(() => {
        const el = document.activeElement;
        const style = getComputedStyle(el);
        const box = el.getBoundingClientRect();
        return {
          tag: el.localName,
          id: el.id,
          cls: el.className,
          href: el.getAttribute('href'),
          text: (el.textContent || '').replace(/\s+/g, ' ').trim(),
          outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
          // Within a pixel: the browser scrolls by whole pixels, boxes have fractional edges.
          inView: box.width > 0 && box.height > 0 && box.left >= -1 && box.right <= innerWidth + 1
            && box.top >= -1 && box.bottom <= innerHeight + 1,
        };
      });

      await page.keyboard.press('Tab');
      let el = await active();
      assert.equal(el.cls, 'skip', `first Tab reaches the skip link, got ${JSON.stringify(el)}`);
      assert.equal(el.text, 'Aller au contenu');
      assert.ok(el.inView, 'the focused skip link is on screen');
      assert.ok(el.outline, 'the focused skip link shows a focus outline');

      await page.keyboard.press('Enter');
      assert.equal(new URL(page.url()).hash, '#contenu');
      el = await active();
      assert.equal(el.tag, 'main', `Enter on the skip link moves focus to main, got ${JSON.stringify(el)}`);

      const expectedThemes = await page.locator('ul.cards a.card')
        .evaluateAll((as) => as.map((a) => a.getAttribute('href')));
      const order = [];
      for (let i = 0; i < 40; i += 1) {
        await page.keyboard.press('Tab');
        el = await active();
        if (el.tag === 'body') break;
        order.push(el);
        if (el.href === expectedThemes.at(-1)) break;
      }
      const describe = (e) => e.id ? `#${e.id}` : e.href ?? `${e.tag} "${e.text}"`;
      assert.equal(order[0]?.id, 'q', `after the skip link, Tab reaches the search field first: ${order.map(describe).join(', ')}`);
      const reachedThemes = order.map((e) => e.href).filter((h) => expectedThemes.includes(h));
      assert.deepEqual(reachedThemes, expectedThemes, 'Tab reaches every theme, in order');
      for (const e of order) {
        assert.ok(e.outline, `focus is visible on ${describe(e)}`);
        assert.ok(e.inView, `the focused ${describe(e)} is scrolled into view`);
      }

      // Enter on a focused theme opens it. Back to the first one with Shift+Tab.
      for (let i = 0; i < expectedThemes.length - 1; i += 1) await page.keyboard.press('Shift+Tab');
      el = await active();
      assert.equal(el.href, expectedThemes[0]);
      await follow(() => page.keyboard.press('Enter'));
      assert.equal(new URL(page.url()).pathname, expectedThemes[0]);
    },
  },
  {
    // (6) An unknown address gives a French page with a way home.
    name: 'page-introuvable',
    async run(ctx) {
      const { page, goto, follow } = ctx;
      for (const target of ['/cette-page-n-existe-pas', `${PASSWORD_TUTORIAL}/etape/99`]) {
        await goto(target, { status: 404 });
        assert.equal(await text(page.locator('main h1')), 'Page introuvable');
        assert.match(await page.title(), /Page introuvable/);
      }
      const home = page.locator('main a[href="/"]');
      assert.equal(await home.count(), 1, 'a link home in the page');
      assert.match(await text(home), /accueil/i);
      await follow(home);
      assert.equal(await text(page.locator('main h1')), 'Bienvenue');
    },
  },
  {
    // (7) The captive portal: probe → welcome page → "Entrer" → portal.
    name: 'portail-captif',
    freshKit: true, // "Entrer" is remembered by address, and every flow comes from 127.0.0.1
    run: captivePortal,
  },
  {
    // (7b) The same in a sign-in view without JavaScript; the copy button stays hidden.
    name: 'portail-captif-sans-js',
    devices: ['phone'],
    freshKit: true,
    context: { javaScriptEnabled: false },
    async run(ctx) {
      const { page, baseUrl, goto } = ctx;
      await goto('/bienvenue');
      assert.ok(await page.locator('button.copy').isHidden(), 'no copy button without JavaScript');
      await goto(baseUrl); // back to a clean state for the full flow
      await captivePortal(ctx);
    },
  },
  {
    // (8) An admin imports a signed pack from a folder standing in for a USB stick while
    // the kit runs; a learner then finds its content, with an accent-free search.
    name: 'paquet-importe',
    freshKit: true,
    async run(ctx) {
      const { page, goto, follow, kit } = ctx;
      const work = await mkdtemp(path.join(tmpdir(), 'mednum-e2e-pack-'));
      try {
        const source = path.join(work, 'source');
        const stick = path.join(work, 'cle-usb');
        await writePackSource(source);
        await mkdir(stick);
        const { stdout: publicKey } = await kit.cli(['key', 'generate', '--out', path.join(work, 'editeur.key')]);
        await kit.cli(['trust', 'add', publicKey.trim(), '--name', 'Éditeur de test']);
        await kit.cli(['pack', 'build', source, '--out', path.join(stick, 'fiches-caf-1.0.0.kitpack'),
          '--key', path.join(work, 'editeur.key')]);
        const { stdout } = await kit.cli(['pack', 'import', stick]);
        assert.match(stdout, /installé : fiches-caf 1\.0\.0/);
      } finally {
        await rm(work, { recursive: true, force: true });
      }

      await goto('/');
      assert.equal(await page.locator('ul.cards a.card[href="/themes/aides"]').count(), 1,
        'the new theme is on the home page, without a restart');
      await search(ctx, 'activite');
      const hit = page.locator('ol.results a[href="/tutoriels/prime-activite"]');
      assert.equal(await hit.count(), 1, 'the imported tutorial is found without the accent');
      await follow(hit);
      await follow(page.locator('main a.button', { hasText: 'Commencer' }));
      assert.equal(await text(page.locator('main h1')), 'Ouvrez le simulateur');
      const image = page.locator('main img[alt="Un formulaire"]');
      assert.ok(await image.evaluate((img) => img.complete && img.naturalWidth > 0),
        'the pack image is served');
    },
  },
  {
    // A theme from the home page, then a tutorial of it.
    name: 'theme',
    async run(ctx) {
      const { page, goto, follow } = ctx;
      await goto('/');
      await follow(page.locator('ul.cards a.card[href="/themes/securite"]'));
      assert.equal(await text(page.locator('main h1')), 'Sécurité');
      const card = page.locator(`main a.card[href="${PASSWORD_TUTORIAL}"]`);
      assert.equal(await card.count(), 1, 'the password tutorial is in the Sécurité theme');
      await follow(card);
      assert.equal(await text(page.locator('main h1')), 'Créer un mot de passe solide');
    },
  },
  {
    // The workshops list and one workshop.
    name: 'ateliers',
    async run(ctx) {
      const { page, goto, follow } = ctx;
      await goto('/');
      await follow(page.locator('main a[href="/ateliers"]'));
      assert.equal(new URL(page.url()).pathname, '/ateliers');
      const first = page.locator('main a[href^="/ateliers/"]').first();
      const title = norm(await first.locator('.card-title').innerText().catch(() => first.innerText()));
      await follow(first);
      assert.match(new URL(page.url()).pathname, /^\/ateliers\/[a-z0-9-]+$/);
      assert.equal(await text(page.locator('main h1')), title);
    },
  },
  {
    // (9) A new box from an admin's phone: "Administration" → first account → every admin
    // page → trust a key → upload a signed pack with a progress bar → it is in the portal;
    // a conseiller account; log out and in again.
    name: 'administration',
    devices: ['phone'],
    freshKit: true, // the first account is made once per kit
    async run(ctx) {
      const { page, goto, follow, kit } = ctx;
      await goto('/');
      await follow(page.locator('footer a[href="/admin"]'));
      assert.equal(new URL(page.url()).pathname, '/admin/premier-compte');
      // From the box itself (the tests' browser is on 127.0.0.1) no code is asked.
      assert.equal(await page.locator('#code').count(), 0);
      await page.locator('#nom').fill('claire');
      await page.locator('#mot_de_passe').fill(ADMIN_PASSWORD);
      await page.locator('#mot_de_passe_2').fill(ADMIN_PASSWORD);
      await follow(page.getByRole('button', { name: 'Créer le compte' }));
      assert.equal(new URL(page.url()).pathname, '/admin');
      assert.match(await text(page.locator('main h1')), /Bonjour claire/);
      for (const link of ['/admin/paquets', '/admin/cles', '/admin/comptes', '/admin/reglages', '/admin/etat', '/admin/mon-compte']) {
        await goto(link);
      }

      const work = await mkdtemp(path.join(tmpdir(), 'mednum-e2e-upload-'));
      try {
        const source = path.join(work, 'source');
        await writePackSource(source);
        const { stdout: publicKey } = await kit.cli(['key', 'generate', '--out', path.join(work, 'editeur.key')]);
        const packFile = path.join(work, 'fiches-caf-1.0.0.kitpack');
        await kit.cli(['pack', 'build', source, '--out', packFile, '--key', path.join(work, 'editeur.key')]);

        await goto('/admin/cles');
        await page.locator('#cle').fill(publicKey.trim());
        await page.locator('#nom-cle').fill('Éditeur de test');
        await follow(page.getByRole('button', { name: 'Ajouter la clé' }));
        assert.match(await text(page.locator('main')), /La clé est ajoutée/);
        assert.match(await text(page.locator('main')), /Éditeur de test/);

        await goto('/admin/paquets');
        await page.locator('#paquet').setInputFiles(packFile);
        // The upload goes by script (with its progress bar), then to the job's page, which
        // reloads itself once the install is done: audited in that final state.
        const toJob = page.waitForURL(/\/admin\/travaux\/\d+$/);
        await page.getByRole('button', { name: 'Envoyer et installer' }).tap();
        await toJob;
        await page.locator('main .notice').waitFor({ timeout: 30_000 });
        await page.waitForLoadState('load');
        await ctx.audit();
        assert.match(await text(page.locator('main .notice')), /C'est installé : fiches-caf version 1\.0\.0/);
      } finally {
        await rm(work, { recursive: true, force: true });
      }
      await goto('/admin/paquets');
      assert.match(await text(page.locator('main')), /fiches-caf · version 1\.0\.0/);
      await goto('/');
      assert.equal(await page.locator('ul.cards a.card[href="/themes/aides"]').count(), 1,
        'the uploaded pack is in the portal');

      await goto('/admin/comptes');
      await page.locator('#nom').fill('paul');
      await page.locator('#mot_de_passe').fill(ADMIN_PASSWORD);
      await page.locator('#mot_de_passe_2').fill(ADMIN_PASSWORD);
      await follow(page.getByRole('button', { name: 'Créer le compte' }));
      assert.match(await text(page.locator('main')), /Le compte est créé/);
      assert.match(await text(page.locator('main')), /paul/);

      await follow(page.getByRole('button', { name: 'Se déconnecter' }));
      assert.equal(new URL(page.url()).pathname, '/admin/connexion');
      assert.match(await text(page.locator('main')), /Vous êtes déconnecté/);
      await page.locator('#nom').fill('claire');
      await page.locator('#mot_de_passe').fill('pas le bon mot de passe');
      await follow(page.getByRole('button', { name: 'Se connecter' }), { status: 422 });
      assert.match(await text(page.locator('main .notice')), /pas bon/);
      await page.locator('#mot_de_passe').fill(ADMIN_PASSWORD);
      await follow(page.getByRole('button', { name: 'Se connecter' }));
      assert.equal(new URL(page.url()).pathname, '/admin');
    },
  },
  {
    // (9b) The same without JavaScript: setup, an upload as a plain form post, and the
    // job's page refreshing itself until the result.
    name: 'administration-sans-js',
    devices: ['phone'],
    freshKit: true,
    context: { javaScriptEnabled: false },
    async run(ctx) {
      const { page, goto, follow, kit } = ctx;
      await goto('/admin');
      assert.equal(new URL(page.url()).pathname, '/admin/premier-compte');
      await page.locator('#nom').fill('claire');
      await page.locator('#mot_de_passe').fill(ADMIN_PASSWORD);
      await page.locator('#mot_de_passe_2').fill(ADMIN_PASSWORD);
      await follow(page.getByRole('button', { name: 'Créer le compte' }));
      const work = await mkdtemp(path.join(tmpdir(), 'mednum-e2e-upload-'));
      try {
        const source = path.join(work, 'source');
        await writePackSource(source);
        const { stdout: publicKey } = await kit.cli(['key', 'generate', '--out', path.join(work, 'editeur.key')]);
        await kit.cli(['trust', 'add', publicKey.trim(), '--name', 'Éditeur de test']);
        const packFile = path.join(work, 'fiches-caf-1.0.0.kitpack');
        await kit.cli(['pack', 'build', source, '--out', packFile, '--key', path.join(work, 'editeur.key')]);
        await goto('/admin/paquets');
        await page.locator('#paquet').setInputFiles(packFile);
        await follow(page.getByRole('button', { name: 'Envoyer et installer' }));
        const job = new URL(page.url()).pathname;
        assert.match(job, /^\/admin\/travaux\/\d+$/);
        // Without JavaScript, the admin asks again with the page's link until it is done.
        for (let i = 0; i < 60 && (await page.locator('main .notice').count()) === 0; i += 1) {
          await new Promise((resolve) => { setTimeout(resolve, 250); });
          const again = page.getByRole('link', { name: 'Voir où ça en est' });
          assert.equal(await again.getAttribute('href'), job);
          await goto(job);
        }
        assert.match(await text(page.locator('main .notice')), /C'est installé/);
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    },
  },
  {
    // (10) Claire runs a pop-up workshop from her phone: start "Protéger ses comptes", the
    // projector page, a learner's phone (another browser context) opens steps and asks for
    // help, the dashboard shows it, "C'est fait", then "Terminer" opens the report.
    name: 'atelier-conseillere',
    devices: ['phone'],
    freshKit: true,
    async run(ctx) {
      const { page, goto, follow, kit } = ctx;
      const child = await import('node:child_process');
      await new Promise((resolve, reject) => {
        const p = child.spawn(process.env.MEDNUM_KIT_BIN, ['--data-dir', kit.dataDir, 'admin', 'create-user', 'claire',
          '--role', 'conseiller', '--password-stdin'], { stdio: ['pipe', 'ignore', 'inherit'] });
        p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`create-user: ${code}`))));
        p.stdin.end(`${ADMIN_PASSWORD}\n`);
      });
      await goto('/admin/connexion');
      await page.locator('#nom').fill('claire');
      await page.locator('#mot_de_passe').fill(ADMIN_PASSWORD);
      await follow(page.getByRole('button', { name: 'Se connecter' }));
      await follow(page.locator('main a.card[href="/admin/atelier"]'));
      await page.locator('#atelier').selectOption('proteger-ses-comptes');
      await page.locator('#lieu').fill('Médiathèque des Tilleuls');
      await follow(page.getByRole('button', { name: "C'est parti" }));
      assert.match(await text(page.locator('main h1')), /Protéger ses comptes/);
      await follow(page.getByRole('link', { name: "Afficher sur l'écran de la salle" }));
      assert.equal(await page.locator('main .projector svg').count(), 2, 'two QR codes');
      // Both codes, as a phone's camera would see them on the screen, read back exactly.
      const shot = path.join(tmpdir(), `mednum-projecteur-${process.pid}.png`);
      await page.screenshot({ path: shot, fullPage: true });
      const { execFile } = await import('node:child_process');
      const decoded = await new Promise((resolve, reject) => {
        execFile('zbarimg', ['--raw', '-q', shot], (err, stdout) => (err ? reject(err) : resolve(stdout)));
      });
      await rm(shot, { force: true });
      const codes = decoded.split('\n').filter(Boolean).sort();
      assert.deepEqual(codes, [`${ctx.baseUrl}/`, 'WIFI:T:WPA;S:Atelier numérique;P:;;'].sort());
      await goto('/admin/atelier');

      // A learner's phone, in a context of its own (its own cookies).
      const learner = await page.context().browser().newContext({ viewport: { width: 360, height: 740 }, locale: 'fr-FR' });
      try {
        const phone = await learner.newPage();
        await phone.goto(new URL('/', ctx.baseUrl).href);
        await phone.locator('main a.card[href="/atelier"]').click();
        await phone.waitForURL(/\/atelier$/);
        await phone.locator('#pseudo').fill('Lulu');
        await phone.getByRole('button', { name: 'Enregistrer' }).click();
        await phone.waitForURL(/\/atelier$/);
        const first = phone.locator('main a.card').first();
        await first.click();
        await phone.locator('main a.button', { hasText: 'Commencer' }).click();
        await phone.waitForURL(/etape\/1$/);
        await phone.getByRole('button', { name: "J'ai besoin d'aide" }).click();
        await phone.waitForURL(/\/aide$/);
        assert.match(await phone.locator('main').innerText(), /Votre demande est envoyée/);
      } finally {
        await learner.close();
      }

      // The dashboard follows by itself (polling); the refresh link works without it.
      await page.locator('#aides li', { hasText: 'Lulu' }).waitFor({ timeout: 10_000 });
      await ctx.audit();
      assert.match(await text(page.locator('#telephones')), /^1 téléphones actifs/);
      await follow(page.locator('#aides').getByRole('button', { name: "C'est fait" }));
      assert.equal(await page.locator('#aides li').count(), 0);
      await follow(page.getByRole('button', { name: "Terminer l'atelier" }));
      const url = new URL(page.url());
      assert.equal(url.searchParams.get('type'), 'atelier-collectif');
      assert.equal(url.searchParams.get('participants'), '1');
      assert.equal(url.searchParams.get('titre'), 'Protéger ses comptes');
      assert.match(await text(page.locator('main h1')), /compte-rendu/i);
    },
  },
  {
    // (11) A conseiller files an activity report from a phone without JavaScript: the home
    // card, the empty form, mistakes said next to their fields, the report saved, listed and
    // opened again; then the form as the end of a workshop session prefills it.
    name: 'comptes-rendus-sans-js',
    freshKit: true,
    context: { javaScriptEnabled: false },
    async run(ctx) {
      const { page, goto, follow } = ctx;
      await goto('/admin');
      assert.equal(new URL(page.url()).pathname, '/admin/premier-compte');
      await page.locator('#nom').fill('claire');
      await page.locator('#mot_de_passe').fill(ADMIN_PASSWORD);
      await page.locator('#mot_de_passe_2').fill(ADMIN_PASSWORD);
      await follow(page.getByRole('button', { name: 'Créer le compte' }));
      await goto('/admin/comptes');
      await page.locator('#nom').fill('paul');
      await page.locator('#mot_de_passe').fill(ADMIN_PASSWORD);
      await page.locator('#mot_de_passe_2').fill(ADMIN_PASSWORD);
      await follow(page.getByRole('button', { name: 'Créer le compte' }));
      await follow(page.getByRole('button', { name: 'Se déconnecter' }));
      await page.locator('#nom').fill('paul');
      await page.locator('#mot_de_passe').fill(ADMIN_PASSWORD);
      await follow(page.getByRole('button', { name: 'Se connecter' }));

      await follow(page.locator('main a.card[href="/admin/comptes-rendus"]'));
      assert.match(await text(page.locator('main')), /pas encore de compte-rendu/);
      await follow(page.getByRole('link', { name: 'Écrire un compte-rendu' }));
      assert.equal(await page.locator('#type-accompagnement-individuel').isChecked(), true);
      // Saved as it is: each missing field is said, with a link to it.
      await follow(page.getByRole('button', { name: 'Enregistrer le compte-rendu' }), { status: 422 });
      const said = await text(page.locator('main .notice.problem'));
      assert.match(said, /Choisissez la durée\./);
      assert.match(said, /Cochez au moins un thème\./);
      assert.equal(await page.locator('#themes').getAttribute('aria-describedby'), 'themes-aide themes-erreur');

      await page.locator('#duree-45').check();
      await page.locator('#themes-demarches-en-ligne').check();
      await page.locator('#domaines-argent-impots').check();
      await page.locator('#materiel-telephone').check();
      // The counts by age and situation are folded away until asked for.
      assert.equal(await page.locator('#age_60-69').isVisible(), false);
      await page.locator('details.counts summary').click();
      await page.locator('#age_60-69').fill('1');
      await page.locator('#autonomie-partiellement-autonome').check();
      await page.locator('#notes').fill('Déclaration de revenus en ligne.');
      await follow(page.getByRole('button', { name: 'Enregistrer le compte-rendu' }));
      assert.equal(new URL(page.url()).pathname, '/admin/comptes-rendus');
      assert.match(await text(page.locator('main .notice')), /Le compte-rendu est enregistré/);
      await follow(page.locator('main a[href="/admin/comptes-rendus/1"]'));
      assert.equal(await page.locator('#domaines-argent-impots').isChecked(), true);
      assert.equal(await page.locator('#notes').inputValue(), 'Déclaration de revenus en ligne.');

      await goto('/admin/comptes-rendus/nouveau?type=atelier-collectif&date=2026-03-12&duree=90'
        + '&titre=Le+courriel&niveau=debutant&themes=email&participants=6&lieu=lieu-habituel&seance=s-1');
      assert.equal(await page.locator('#type-atelier-collectif').isChecked(), true);
      assert.equal(await page.locator('#titre').inputValue(), 'Le courriel');
      assert.match(await text(page.locator('main')), /relié à l'atelier qui vient de finir/);
    },
  },
  {
    // The glossary ("C'est quoi ?"): from the home page to the list of words, one word,
    // then a tutorial whose first mention of a word links to its page.
    name: 'glossaire',
    async run(ctx) {
      const { page, goto, follow } = ctx;
      await goto('/');
      await follow(page.locator('main a[href="/glossaire"]'));
      assert.equal(await text(page.locator('main h1')), "C'est quoi ? Les mots du numérique");
      const words = page.locator('main a.card[href^="/glossaire/"]');
      assert.ok(await words.count() >= 60, 'at least 60 words in the glossary');
      await follow(page.locator('main a.card[href="/glossaire/mot-de-passe"]'));
      assert.equal(await text(page.locator('main h1')), "Mot de passe : c'est quoi ?");
      assert.ok(await page.locator('main a.card[href="/glossaire/identifiant"]').count() === 1,
        'the entry lists the words to read next');
      await goto('/tutoriels/se-connecter-au-wifi');
      const link = page.locator('#intro a.glossaire[href="/glossaire/wi-fi"]');
      assert.equal(await link.count(), 1, 'the first "Wi-Fi" of the tutorial is a link');
      assert.match(await text(page.locator('main')), /Mis à jour en décembre 2026/);
      await follow(link);
      assert.equal(await text(page.locator('main h1')), "Wi-Fi : c'est quoi ?");
    },
  },
  {
    // (F1) A practice form without JavaScript: home → forms → one question per screen, a
    // refused answer, the review, the print page, then "Effacer mes réponses".
    name: 'formulaire-sans-js',
    context: { javaScriptEnabled: false },
    async run(ctx) {
      const { page, goto, follow } = ctx;
      await goto('/');
      await follow(page.locator('main a[href="/formulaires"]'));
      await follow(page.locator(`main a.card[href="${ADDRESS_FORM}"]`));
      assert.match(await text(page.locator('main .privacy')), /La borne ne les garde pas/);
      assert.match(await text(page.locator('main .practice')), /Ce n'est pas le vrai formulaire/);
      assert.equal(await page.locator('main button.resume').isVisible(), false);
      await follow(page.getByRole('button', { name: 'Commencer' }));
      await questionShown(page, 1, 10, 'Votre nom de famille');
      await assertListenHidden(ctx);
      await answerQuestion(ctx, 'Martin');
      await questionShown(page, 2, 10, 'Votre prénom');
      await answerQuestion(ctx, 'Claire');
      await answerQuestion(ctx, '03/04/1950');
      await answerQuestion(ctx, '12 rue des Lilas');
      await questionShown(page, 5, 10, "Le code postal de votre ancienne adresse");
      await page.locator('#commune').fill('Douai');
      await answerQuestion(ctx, '5950');
      assert.equal(await text(page.locator('main [role=alert]')), 'Le code postal a 5 chiffres. Exemple : 59500');
      assert.equal(await page.locator('#reponse').getAttribute('aria-invalid'), 'true');
      await answerQuestion(ctx, '59500');
      await answerQuestion(ctx, '5 avenue Jean Jaurès');
      await page.locator('#commune').fill('Lille');
      await answerQuestion(ctx, '59000');
      await answerQuestion(ctx, '01/09/2026');
      await questionShown(page, 9, 10, 'Qui voulez-vous prévenir ?');
      await page.getByLabel('La CAF').check();
      await answerQuestion(ctx, null);
      await answerQuestion(ctx, '');
      assert.equal(await text(page.locator('main h1')), 'Vos réponses');
      assert.match(await text(page.locator('main')), /59500 Douai/);
      await follow(page.getByRole('button', { name: 'Imprimer' }));
      assert.match(await text(page.locator('main .sheet')), /Copie pour s'entraîner/);
      assert.match(await text(page.locator('main .sheet')), /59000 Lille/);
      assert.equal(await page.locator('main button.print').isVisible(), false, 'no print button without JS');
      await follow(page.getByRole('button', { name: 'Revenir à mes réponses' }));
      await follow(page.getByRole('button', { name: 'Effacer mes réponses' }));
      assert.match(await text(page.locator('main')), /Vos réponses sont effacées/);
      assert.doesNotMatch(await page.content(), /Martin/);
    },
  },
  {
    // (F2) With JavaScript: a draft in the phone's storage, kept when the learner comes
    // back to the form later, offered with "Reprendre", gone after "Effacer".
    name: 'formulaire',
    async run(ctx) {
      const { page, goto, follow } = ctx;
      const draft = () => page.evaluate(() => window.localStorage.getItem('kit-formulaire-compte-e-mail'));
      await goto(EMAIL_FORM);
      assert.equal(await page.locator('main button.resume').isVisible(), false, 'no draft yet');
      await follow(page.getByRole('button', { name: 'Commencer' }));
      await questionShown(page, 1, 6, 'Votre prénom');
      await answerQuestion(ctx, 'Claire');
      await page.locator('#reponse').fill('Martin'); // typed, not sent yet
      const saved = JSON.parse(await draft());
      assert.equal(saved.q, 'nom');
      assert.deepEqual(saved.answers, [['r.prenom', 'Claire'], ['r.nom', 'Martin']]);

      // Later, back on the form's page: the draft is offered.
      await goto(EMAIL_FORM);
      const resume = page.getByRole('button', { name: 'Reprendre mes réponses' });
      assert.ok(await resume.isVisible(), '"Reprendre" is shown when a draft exists');
      await follow(resume);
      await questionShown(page, 2, 6, 'Votre nom');
      assert.equal(await page.locator('#reponse').inputValue(), 'Martin');

      await follow(page.getByRole('button', { name: 'Effacer mes réponses' }));
      assert.match(await text(page.locator('main')), /Vos réponses sont effacées/);
      assert.equal(await draft(), null, 'the draft is erased');
      await goto(EMAIL_FORM);
      assert.equal(await page.locator('main button.resume').isVisible(), false);
    },
  },
  languageFlow('en', 'Welcome'),
  languageFlow('ar', 'أهلًا وسهلًا'),
  languageFlow('ar', 'أهلًا وسهلًا', { javaScriptEnabled: false }),
  languageFlow('uk', 'Вітаємо'),
];
