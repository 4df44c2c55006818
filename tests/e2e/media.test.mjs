// A video with subtitles in a pack, in Debian's Chromium: it plays (currentTime moves), it
// seeks (the browser asks the kit for a Range and gets 206), and its French track's cues
// load. The clip is the real H.264/AAC file of tests/fixtures/media (made by ffmpeg).
// Run with: bash tests/e2e/run.sh
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { launchBrowser } from './browser.mjs';
import { REPO_ROOT, startKit } from './kit.mjs';

const FIXTURES = path.join(REPO_ROOT, 'tests', 'fixtures', 'media');
const TIMEOUT_MS = 60_000;

/** Writes a pack source with one tutorial showing the clip; returns its folder. */
async function writeSource(root) {
  const src = path.join(root, 'src');
  const write = async (rel, text) => {
    await mkdir(path.dirname(path.join(src, rel)), { recursive: true });
    await writeFile(path.join(src, rel), text);
  };
  await write('pack.toml', 'id = "videos"\nversion = "1.0.0"\ntitle = "Vidéos"\n');
  await write('themes/videos.md', '+++\ntitle = "Vidéos"\nsummary = "Des vidéos."\n+++\nDes vidéos.\n');
  await write('tutorials/payer.md', '+++\ntitle = "Payer"\ntheme = "videos"\nlevel = "debutant"\n'
    + 'duration = 5\nsummary = "Une vidéo."\n+++\n## Regardez\n![Payer en ligne](../media/clip.mp4)\n');
  await mkdir(path.join(src, 'media'), { recursive: true });
  for (const name of ['clip.mp4', 'clip.png', 'clip.vtt']) {
    await cp(path.join(FIXTURES, name), path.join(src, 'media', name));
  }
  return src;
}

describe('vidéo dans un paquet (navigateur)', () => {
  let kit;
  let browser;
  let root;

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'mednum-kit-e2e-media-'));
    kit = await startKit();
    const src = await writeSource(root);
    const pack = path.join(root, 'videos.kitpack');
    await kit.cli(['pack', 'build', src, '--out', pack]);
    await kit.cli(['pack', 'import', pack, '--allow-untrusted']);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    if (kit) await kit.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  test('la vidéo se lit, avance, se déplace, et ses sous-titres se chargent', { timeout: TIMEOUT_MS }, async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    try {
      const page = await context.newPage();
      const statuses = [];
      page.on('response', (r) => {
        if (r.url().includes('/media/clip.mp4')) statuses.push(r.status());
      });
      const response = await page.goto(`${kit.baseUrl}/tutoriels/payer/etape/1`);
      assert.equal(response.status(), 200);
      const video = page.locator('video');
      assert.equal(await video.getAttribute('preload'), 'none');
      assert.match(await video.getAttribute('poster'), /\/media\/clip\.png$/);
      // preload="none": nothing of the video is fetched before play.
      assert.deepEqual(statuses, []);

      const canPlay = await video.evaluate((v) => v.canPlayType('video/mp4; codecs="avc1.42E01E, mp4a.40.2"'));
      assert.notEqual(canPlay, '', 'this Chromium plays H.264/AAC');

      // Plays: currentTime moves.
      await video.evaluate((v) => { v.muted = true; return v.play(); });
      await page.waitForFunction(() => document.querySelector('video').currentTime > 0.5, null, { timeout: 15_000 });

      // Seeks: the browser asks for a part of the file.
      await video.evaluate((v) => new Promise((resolve, reject) => {
        v.addEventListener('seeked', resolve, { once: true });
        v.addEventListener('error', () => reject(new Error(`media error ${v.error?.code}`)), { once: true });
        v.currentTime = 3;
      }));
      const at = await video.evaluate((v) => v.currentTime);
      assert.ok(at >= 2.9, `seeked to 3 s, at ${at}`);
      assert.ok(statuses.includes(206), `the kit answered parts of the file: ${statuses}`);

      // The French track: default, showing, its cues loaded.
      await page.waitForFunction(() => {
        const track = document.querySelector('video').textTracks[0];
        return track && track.cues && track.cues.length === 2;
      }, null, { timeout: 15_000 });
      const track = await video.evaluate((v) => {
        const t = v.textTracks[0];
        return { language: t.language, mode: t.mode, first: t.cues[0].text, second: t.cues[1].text };
      });
      assert.deepEqual(track, {
        language: 'fr',
        mode: 'showing',
        first: 'Appuyez sur le bouton vert.',
        second: 'Attendez la réponse.',
      });

      // The download link names the file after its caption.
      const href = await page.locator('a.media-download').getAttribute('href');
      assert.match(href, /\/media\/clip\.mp4\?telecharger=Payer%20en%20ligne$/);
    } finally {
      await context.close();
    }
  });
});
