import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LANGUAGES, perCallOf, PROMPTS, promptSource, promptText, type PromptId } from '../../prompts/catalogue.ts';
import { PromptAudio } from '../../src/services/prompt-audio.service.ts';
import { buildPromptAudio, MANIFEST_FILE, type AudioManifest } from '../../src/services/prompt-build.service.ts';
import { GoogleTtsEngine } from '../../src/speech/google-tts.engine.ts';
import { parseWav, WAV_FORMAT } from '../../src/speech/wav-audio.ts';
import { TtsStandIn, type WireRequest } from '../support/tts-stand-in.ts';

/**
 * prompts:build through the real @google-cloud/text-to-speech client, pointed at a loopback gRPC server that
 * implements google.cloud.texttospeech.v1.TextToSpeech from the library's own protos: what goes over the
 * wire, what lands on disk, what is skipped, what a failure leaves behind.
 */

const VOICES = { 'zh-CN': 'cmn-CN-Wavenet-A', 'en-US': 'en-US-Neural2-F' } as const;
const PARAMS = { otpMinutes: 5, lockMinutes: 30, lockAfter: 5, callbackHours: 4, agentOpens: '8:30', agentCloses: '17:30' };
/** Every prompt in both languages but those with per-call values, which are always said and never built. */
const PROMPT_COUNT = (Object.keys(PROMPTS) as PromptId[]).filter((id) => Object.keys(perCallOf(id)).length === 0).length * LANGUAGES.length;
const spoken = (request: WireRequest): string => request.input.text ?? request.input.ssml ?? '';

describe('prompts:build with Google Cloud Text-to-Speech (loopback stand-in)', function () {
  let standIn: TtsStandIn;
  let dir: string;
  let engine: GoogleTtsEngine;

  beforeEach(async () => {
    standIn = new TtsStandIn();
    await standIn.start();
    dir = await mkdtemp(path.join(os.tmpdir(), 'tts-google-'));
    engine = new GoogleTtsEngine({ voices: VOICES, encoding: 'LINEAR16', client: standIn.clientOptions(), timeoutMs: 10_000 });
  });

  afterEach(async () => {
    await engine.close();
    await standIn.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('sends each prompt with the configured voice, telephony settings (8 kHz, LINEAR16, telephony profile), text or SSML', async () => {
    const summary = await buildPromptAudio({ engine, dir, params: PARAMS });
    expect(summary.failed).to.deep.equal([]);
    expect(summary.built).to.equal(PROMPT_COUNT);
    expect(standIn.requests).to.have.length(PROMPT_COUNT);

    for (const request of standIn.requests) {
      expect(request.audioConfig).to.deep.equal({ audioEncoding: 'LINEAR16', sampleRateHertz: 8000, effectsProfileId: ['telephony-class-application'] });
      expect(request.voice.languageCode).to.be.oneOf(['cmn-CN', 'en-US']);
      expect(request.voice.name).to.equal(request.voice.languageCode === 'cmn-CN' ? VOICES['zh-CN'] : VOICES['en-US']);
    }
    const sequenceZh = standIn.requests.find((r) => r.voice.languageCode === 'cmn-CN' && spoken(r).includes('654321'));
    expect(sequenceZh?.input, 'the SSML prompt goes as ssml').to.deep.equal({ ssml: promptSource('pin.weak.sequence', 'zh-CN') });
    const welcomeEn = standIn.requests.find((r) => r.voice.languageCode === 'en-US' && spoken(r).startsWith('Welcome'));
    expect(welcomeEn?.input, 'a plain prompt goes as text').to.deep.equal({ text: promptText('welcome', 'en-US') });
    const codeSent = standIn.requests.find((r) => r.voice.languageCode === 'cmn-CN' && spoken(r).includes('验证码已发出'));
    expect(spoken(codeSent!), 'placeholders are filled with the configured values').to.equal(promptText('code.sent', 'zh-CN', PARAMS)).and.include('5分钟');
    expect(standIn.requests.filter((r) => /\{\w+\}/.test(spoken(r)))).to.deep.equal([]);
  });

  it('writes one hashed WAV per prompt and language, and a manifest naming each with its words and length', async () => {
    const summary = await buildPromptAudio({ engine, dir, params: PARAMS });
    const manifest = JSON.parse(await readFile(path.join(dir, MANIFEST_FILE), 'utf8')) as AudioManifest;
    expect(manifest).to.deep.equal(JSON.parse(JSON.stringify(summary.manifest)));
    expect(manifest.prompts).to.have.length(PROMPT_COUNT);
    expect(manifest.engine).to.equal('google');
    const files = (await readdir(dir)).filter((f) => f.endsWith('.wav'));
    expect(files.sort()).to.deep.equal(manifest.prompts.map((p) => p.file).sort());
    for (const entry of manifest.prompts) {
      expect(entry.file).to.match(/^[0-9a-f]{32}\.wav$/);
      expect(entry.text).to.equal(promptText(entry.id, entry.lang, PARAMS));
      expect(entry.voice).to.equal(VOICES[entry.lang]);
      expect(entry.engine).to.equal('google');
      const wav = parseWav(await readFile(path.join(dir, entry.file)));
      expect([wav.format, wav.sampleRate, wav.channels, wav.bitsPerSample]).to.deep.equal([WAV_FORMAT.pcm, 8000, 1, 16]);
      // The stand-in answers 10 ms of audio per character it was sent.
      expect(entry.seconds).to.be.closeTo(wav.seconds, 0.01);
      expect(entry.seconds).to.be.closeTo(promptSource(entry.id, entry.lang, PARAMS).length / 100, 0.01);
    }
  });

  it('a second build synthesises nothing; a changed value re-synthesises only the prompts that name it', async () => {
    await buildPromptAudio({ engine, dir, params: PARAMS });
    const again = await buildPromptAudio({ engine, dir, params: PARAMS });
    expect([again.built, again.skipped, standIn.requests.length]).to.deep.equal([0, PROMPT_COUNT, PROMPT_COUNT]);
    expect(again.manifest.prompts).to.have.length(PROMPT_COUNT);

    const changed = await buildPromptAudio({ engine, dir, params: { ...PARAMS, lockMinutes: 45 } });
    const naming = (Object.keys(PROMPTS) as PromptId[]).filter((id) => PROMPTS[id]['en-US'].includes('{lockMinutes}'));
    expect(naming).to.include.members(['verify.failed', 'card.locked']);
    expect(changed.built).to.equal(naming.length * LANGUAGES.length);
    expect(standIn.requests.slice(PROMPT_COUNT).map(spoken).every((text) => text.includes('45'))).to.equal(true);
  });

  it('a prompt the service refuses (quota) is reported, keeps its earlier file, and is left out of the manifest', async () => {
    const first = await buildPromptAudio({ engine, dir, params: PARAMS });
    const oldLocked = first.manifest.prompts.filter((p) => p.id === 'card.locked').map((p) => p.file);
    standIn.failWhen = (request) => (spoken(request).includes('45') ? { code: grpc.status.RESOURCE_EXHAUSTED, details: 'Quota exceeded for texttospeech.googleapis.com' } : null);

    const summary = await buildPromptAudio({ engine, dir, params: { ...PARAMS, lockMinutes: 45 } });
    expect(summary.failed.map((f) => `${f.id} ${f.lang}`).sort()).to.deep.equal(['card.locked en-US', 'card.locked zh-CN', 'verify.failed en-US', 'verify.failed zh-CN']);
    for (const failure of summary.failed) expect(failure.error).to.include(`gRPC ${grpc.status.RESOURCE_EXHAUSTED}`).and.include('Quota exceeded');
    for (const file of oldLocked) expect(existsSync(path.join(dir, file)), 'the earlier file stays').to.equal(true);
    expect(summary.manifest.prompts.map((p) => p.id)).not.to.include.members(['card.locked', 'verify.failed']);
    expect(summary.manifest.prompts).to.have.length(PROMPT_COUNT - 4);

    const audio = await PromptAudio.load({ dir, publicBaseUrl: 'https://hotline.test' });
    expect(audio.audioUrl('card.locked', 'zh-CN', { ...PARAMS, lockMinutes: 45 }), 'no audio: <Say>').to.equal(null);
    expect(audio.audioUrl('goodbye', 'zh-CN', PARAMS)).to.match(/^https:\/\/hotline\.test\/audio\/[0-9a-f]{32}\.wav$/);
  });

  it('MULAW is requested as MULAW and written as a μ-law WAV; audio without a header is wrapped in one', async () => {
    const mulaw = new GoogleTtsEngine({ voices: VOICES, encoding: 'MULAW', client: standIn.clientOptions() });
    try {
      standIn.headerless = true;
      const wav = parseWav(await mulaw.synthesize({ language: 'en-US', languageCode: 'en-US', voice: VOICES['en-US'], source: 'Goodbye.', ssml: false }));
      expect(standIn.requests[0].audioConfig.audioEncoding).to.equal('MULAW');
      expect([wav.format, wav.sampleRate, wav.bitsPerSample, wav.data.length]).to.deep.equal([WAV_FORMAT.mulaw, 8000, 8, 'Goodbye.'.length * 80]);
      expect(wav.seconds).to.be.closeTo(0.08, 0.001);
    } finally {
      await mulaw.close();
    }
  });
});
