// Checks run on every page a flow visits: axe-core (serious and critical violations fail),
// the page's language and direction (French unless the flow chose another), readable type (body ≥ 18 px on phone, no justified text, no
// italics in the main text), same-origin links that answer, and a full-page screenshot.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Impacts that fail a test; the others are printed as warnings. */
export const FAILING_IMPACTS = new Set(['serious', 'critical']);

/** Languages written from right to left: their pages say dir="rtl". */
export const RTL_LANGS = new Set(['ar', 'fa', 'he', 'ur']);

/** Smallest computed body font size on a phone, in CSS pixels. */
export const MIN_PHONE_BODY_PX = 18;

// Status of each same-origin URL already requested, shared by every test of the run.
const linkStatus = new Map();

/**
 * Runs every check on the page as it is now and takes a screenshot. `lang` is the language
 * the page must declare (the phone's choice; French by default).
 * Returns a list of problems (strings); the caller decides when to fail.
 */
export async function auditPage(page, {
  device, baseUrl, screenshotPath, javaScriptEnabled = true, lang = 'fr', log = console.log,
}) {
  const where = `${pathOf(page.url(), baseUrl)} (${device})`;
  const problems = [];

  if (screenshotPath) await page.screenshot({ path: screenshotPath, fullPage: true });

  // Layout and language checks, computed in the page (works with JavaScript disabled too:
  // evaluate goes through the DevTools protocol, not the page's own scripts).
  const facts = await page.evaluate(collectPageFacts);
  if (facts.lang === null) problems.push(`${where}: <html> has no lang attribute, expected lang="${lang}"`);
  else if (facts.lang !== lang) problems.push(`${where}: <html lang="${facts.lang}">, expected "${lang}"`);
  const dir = RTL_LANGS.has(lang) ? 'rtl' : 'ltr';
  if ((facts.dir ?? 'ltr') !== dir) problems.push(`${where}: <html dir="${facts.dir}">, expected "${dir}"`);
  if (device === 'phone' && !(facts.bodyFontPx >= MIN_PHONE_BODY_PX)) {
    problems.push(`${where}: body font-size ${facts.bodyFontPx}px on phone, expected ≥ ${MIN_PHONE_BODY_PX}px`);
  }
  for (const sel of facts.justified) problems.push(`${where}: text-align: justify on ${sel}`);
  for (const sel of facts.italic) problems.push(`${where}: italic text in main: ${sel}`);
  for (const src of facts.brokenImages) problems.push(`${where}: image did not load: ${src}`);

  // axe-core, injected fresh into each document.
  const already = await page.evaluate(() => typeof window.axe === 'object');
  if (!already) await page.evaluate(AXE_SOURCE);
  if (!javaScriptEnabled) {
    // With scripting disabled, DevTools evaluation still runs but timer callbacks never
    // fire, and axe.run waits on timers. The page runs none of its own scripts, so
    // replacing the timers by microtasks for axe alone changes nothing else.
    await page.evaluate(() => {
      window.setTimeout = (fn, _ms, ...args) => {
        Promise.resolve().then(() => fn(...args));
        return 0;
      };
      window.clearTimeout = () => {};
      window.requestAnimationFrame = (fn) => {
        Promise.resolve().then(() => fn(performance.now()));
        return 0;
      };
      window.cancelAnimationFrame = () => {};
    });
  }
  const results = await page.evaluate(() => window.axe.run(document, {
    resultTypes: ['violations'],
  }));
  for (const v of results.violations) {
    const targets = v.nodes.map((n) => n.target.join(' ')).join(', ');
    const line = `${where}: axe ${v.id} [${v.impact}] ${v.help} — ${targets}`;
    if (FAILING_IMPACTS.has(v.impact)) problems.push(line);
    else log(`warning: ${line}`);
  }

  // Same-origin links must answer (each URL requested once per run).
  for (const href of facts.links) {
    const url = new URL(href);
    url.hash = '';
    if (url.origin !== new URL(baseUrl).origin) {
      log(`warning: ${where}: link leaves the portal: ${href}`);
      continue;
    }
    const key = url.href;
    if (!linkStatus.has(key)) {
      const res = await fetch(key, { redirect: 'follow' });
      await res.arrayBuffer();
      linkStatus.set(key, res.status);
    }
    const status = linkStatus.get(key);
    if (status >= 400) problems.push(`${where}: broken link ${pathOf(key, baseUrl)} answers ${status}`);
  }

  return problems;
}

function pathOf(url, baseUrl) {
  return url.startsWith(baseUrl) ? url.slice(baseUrl.length) || '/' : url;
}

// Runs inside the page: must be self-contained.
function collectPageFacts() {
  const describe = (el) => {
    const parts = [];
    for (let e = el; e && e.nodeType === 1 && parts.length < 4; e = e.parentElement) {
      let part = e.localName;
      if (e.id) {
        parts.unshift(`${part}#${e.id}`);
        break;
      }
      if (e.classList.length) part += `.${[...e.classList].join('.')}`;
      const same = e.parentElement
        ? [...e.parentElement.children].filter((c) => c.localName === e.localName)
        : [];
      if (same.length > 1) part += `:nth-of-type(${same.indexOf(e) + 1})`;
      parts.unshift(part);
    }
    const text = (el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 40);
    return text ? `${parts.join(' > ')} "${text}"` : parts.join(' > ');
  };
  const rendered = (el) => el.getClientRects().length > 0;
  const ownText = (el) => [...el.childNodes].some((n) => n.nodeType === 3 && n.data.trim() !== '');

  const justified = [...document.querySelectorAll('p, li')]
    .filter((el) => getComputedStyle(el).textAlign === 'justify')
    .map(describe);

  const main = document.querySelector('main');
  const italic = main
    ? [main, ...main.querySelectorAll('*')]
      .filter((el) => ownText(el) && rendered(el))
      .filter((el) => /^(italic|oblique)/.test(getComputedStyle(el).fontStyle))
      .map(describe)
    : [];

  const brokenImages = [...document.images]
    .filter((img) => img.complete && img.naturalWidth === 0)
    .map((img) => img.getAttribute('src'));

  // Links within the same document (the skip link "#contenu") are not requests.
  const links = [...new Set([...document.querySelectorAll('a[href]')]
    .filter((a) => !a.getAttribute('href').startsWith('#'))
    .map((a) => a.href)
    .filter((href) => /^https?:/.test(href)))];

  return {
    lang: document.documentElement.getAttribute('lang'),
    dir: document.documentElement.getAttribute('dir'),
    bodyFontPx: parseFloat(getComputedStyle(document.body).fontSize),
    justified,
    italic,
    brokenImages,
    links,
  };
}
