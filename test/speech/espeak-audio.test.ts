import { expect } from 'chai';
import { readFile, rm, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import supertest from 'supertest';
import { LANGUAGES, perCallOf, PROMPTS, promptText, type PromptId } from '../../prompts/catalogue.ts';
import { PromptAudio } from '../../src/services/prompt-audio.service.ts';
import { buildPromptAudio, type AudioManifest } from '../../src/services/prompt-build.service.ts';
import { EspeakEngine } from '../../src/speech/espeak.engine.ts';
import { parseWav, WAV_FORMAT } from '../../src/speech/wav-audio.ts';
import { startTestApp, TestCall, TEST_ENV, type TestApp } from '../support/test-app.ts';

/**
 * The whole path without Google: espeak-ng builds rough 8 kHz audio, the app loads the manifest, answers a
 * call with `<Play>` and serves the files (long-lived, immutable) and the manifest (revalidated) at /audio/.
 */

const PARAMS = { otpMinutes: 5, lockMinutes: 30, lockAfter: 5, callbackHours: 4, agentOpens: '8:30', agentCloses: '17:30' };

describe('prompts:build --engine espeak, served and played', function () {
  this.timeout(60_000);
  let dir: string;
  let manifest: AudioManifest;
  let t: TestApp;

  before(async function () {
    const engine = new EspeakEngine();
    if (!(await engine.available())) {
      console.warn('    skipped: espeak-ng is not installed');
      this.skip();
    }
    dir = await mkdtemp(path.join(os.tmpdir(), 'espeak-audio-'));
    try {
      const summary = await buildPromptAudio({ engine, dir, params: PARAMS });
      expect(summary.failed).to.deep.equal([]);
      manifest = summary.manifest;
    } finally {
      await engine.close();
    }
    t = await startTestApp('espeak-audio', {
      env: { AUDIO_DIR: dir },
      promptAudio: await PromptAudio.load({ dir, publicBaseUrl: TEST_ENV.PUBLIC_BASE_URL }),
    });
  });

  after(async () => {
    await t?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('builds every prompt in both languages (but those with per-call values) as 8 kHz 16-bit mono WAV whose length the manifest states', async () => {
    const built = (Object.keys(PROMPTS) as PromptId[]).filter((id) => Object.keys(perCallOf(id)).length === 0);
    expect(built.length).to.be.lessThan(Object.keys(PROMPTS).length);
    expect(manifest.prompts).to.have.length(built.length * LANGUAGES.length);
    for (const entry of manifest.prompts) {
      const wav = parseWav(await readFile(path.join(dir, entry.file)));
      expect([wav.format, wav.sampleRate, wav.channels, wav.bitsPerSample], entry.file).to.deep.equal([WAV_FORMAT.pcm, 8000, 1, 16]);
      expect(entry.seconds).to.be.closeTo(wav.seconds, 0.01).and.greaterThan(0.3);
      expect(entry.engine).to.equal('espeak');
      expect(entry.voice).to.equal(entry.lang === 'zh-CN' ? 'espeak-ng:cmn' : 'espeak-ng:en-us');
    }
    for (const entry of manifest.prompts.filter((p) => p.id === 'goodbye')) {
      const { data } = parseWav(await readFile(path.join(dir, entry.file)));
      let peak = 0;
      for (let i = 0; i + 1 < data.length; i += 2) peak = Math.max(peak, Math.abs(data.readInt16LE(i)));
      expect(peak, `${entry.lang} goodbye is not silence`).to.be.greaterThan(1000);
    }
  });

  it('a call is answered with <Play> of both welcome files, then the chosen language only', async () => {
    const call = new TestCall(t);
    const welcome = await call.start();
    const fileOf = (id: string, lang: string) => manifest.prompts.find((p) => p.id === id && p.lang === lang)!.file;
    expect(welcome.says).to.deep.equal([]);
    expect(welcome.plays).to.deep.equal(LANGUAGES.map((lang) => `${TEST_ENV.PUBLIC_BASE_URL}/audio/${fileOf('welcome', lang)}`));
    const menu = await call.press('2');
    expect(menu.plays).to.deep.equal([`${TEST_ENV.PUBLIC_BASE_URL}/audio/${fileOf('main.menu', 'en-US')}`]);
  });

  it('serves each played file as audio/wav, cacheable for a year and immutable, byte for byte', async () => {
    const call = new TestCall(t);
    const welcome = await call.start();
    for (const url of welcome.plays) {
      const res = await supertest(t.app).get(new URL(url).pathname).buffer(true).parse((r, done) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => done(null, Buffer.concat(chunks)));
      });
      expect(res.status).to.equal(200);
      expect(res.headers['content-type']).to.equal('audio/wav');
      expect(res.headers['cache-control']).to.include('max-age=31536000').and.include('immutable');
      expect(Buffer.compare(res.body as Buffer, await readFile(path.join(dir, path.basename(url))))).to.equal(0);
    }
  });

  it('serves the manifest uncached in the agreed shape, and nothing else from the folder', async () => {
    const res = await supertest(t.app).get('/audio/manifest.json');
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.match(/^application\/json/);
    expect(res.headers['cache-control']).to.equal('no-cache');
    const prompts = res.body.prompts as Array<Record<string, unknown>>;
    expect(prompts).to.have.length(manifest.prompts.length);
    for (const entry of prompts) {
      expect(entry).to.include.all.keys('id', 'lang', 'text', 'file', 'seconds', 'voice', 'engine');
      expect(entry.text).to.equal(promptText(entry.id as never, entry.lang as never, PARAMS));
      expect(entry.seconds).to.be.a('number');
    }
    for (const bad of ['/audio/..%2Fmanifest.json', '/audio/notes.txt', '/audio/0123.wav', `/audio/${'f'.repeat(32)}.wav`]) {
      expect((await supertest(t.app).get(bad)).status, bad).to.equal(404);
    }
  });
});
