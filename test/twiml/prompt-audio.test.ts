import { expect } from 'chai';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AnyStateNode } from 'xstate';
import { callMachine, type StateMeta } from '../../flows/call.machine.ts';
import { LANGUAGES, PROMPTS, promptRef, promptText, type Language, type PromptId } from '../../prompts/catalogue.ts';
import { loadConfig } from '../../src/config.ts';
import { jambonzSpeechFor, PromptAudio, speechFor } from '../../src/services/prompt-audio.service.ts';
import jambonzSpecs from '@jambonz/verb-specifications';
import { renderState as renderVerbs } from '../../src/jambonz/call-verbs.renderer.ts';
import { parseVerbs } from '../support/jambonz.ts';
import { buildPromptAudio, MANIFEST_FILE, type AudioManifest } from '../../src/services/prompt-build.service.ts';
import type { SpeechEngine } from '../../src/speech/speech-engine.ts';
import { wavFile } from '../../src/speech/wav-audio.ts';
import { renderApology, renderDialDone, renderRecovery, renderState, type Speech } from '../../src/twiml/call-response.renderer.ts';
import { TEST_ENV } from '../support/test-app.ts';
import { expectValid, loadSchema, responseChildren, schemaAvailable, type Schema, type TwimlNode } from '../support/twiml-schema.ts';

/**
 * With built audio the renderer plays it (`<Play>` of PUBLIC_BASE_URL/audio/<file>) and falls back to `<Say>`
 * for a prompt without audio, with audio disabled, or whose audio says other words than the catalogue now does.
 */

const BASE = TEST_ENV.PUBLIC_BASE_URL;
const PARAMS = { otpMinutes: 5, lockMinutes: 30, lockAfter: 5, callbackHours: 4, agentOpens: '8:30', agentCloses: '17:30' };
const TIMEOUTS = { menu: 5, id: 10, code: 10, pin: 7 };

/** One second of silence per prompt: what matters here is which file belongs to which words. */
const silence: SpeechEngine = {
  name: 'espeak',
  settings: { test: 'silence' },
  voiceFor: (language) => `silence-${language}`,
  synthesize: async () => wavFile(Buffer.alloc(16_000), { sampleRate: 8000, format: 'pcm' }),
  close: async () => undefined,
};

const withMeta = (function collect(node: AnyStateNode): { id: string; meta: StateMeta }[] {
  const own = Array.isArray((node.meta as StateMeta | undefined)?.prompts) ? [{ id: node.id, meta: node.meta as StateMeta }] : [];
  return [...own, ...Object.values(node.states).flatMap(collect)];
})(callMachine.root);

/** The `<Play>`/`<Say>` elements of a response, inside its `<Gather>` when it has one. */
function voiced(xml: string): TwimlNode[] {
  const children = responseChildren(xml);
  const inner = children[0]?.name === 'Gather' ? children[0].children : children;
  return inner.filter((node) => node.name === 'Play' || node.name === 'Say');
}

describe('prompt audio in TwiML', function () {
  // Validating every state's TwiML against Twilio's XSD (xmllint in WebAssembly) takes ~17 s of CPU per language
  // on an idle two-core machine: the default 20 s runs out as soon as anything else shares the cores.
  this.timeout(90_000);
  let dir: string;
  let manifest: AudioManifest;
  let schema: Schema | null = null;
  const fileOf = (id: PromptId, lang: Language): string => manifest.prompts.find((p) => p.id === id && p.lang === lang)!.file;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'prompt-audio-'));
    manifest = (await buildPromptAudio({ engine: silence, dir, params: PARAMS })).manifest;
    if (schemaAvailable()) schema = await loadSchema();
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const speechWith = async (env: Record<string, string> = {}): Promise<Speech> => {
    const config = loadConfig({ ...TEST_ENV, AUDIO_DIR: dir, ...env });
    return speechFor(config, await PromptAudio.load({ dir: config.audio.dir, publicBaseUrl: config.publicBaseUrl }));
  };
  const validate = async (xml: string) => {
    if (schema) await expectValid(schema, xml);
  };

  for (const language of LANGUAGES) {
    it(`every state in ${language} plays the built file of each prompt, at PUBLIC_BASE_URL/audio/<file>, as valid TwiML`, async function () {
      this.timeout(120_000); // one schema validation per state, each a few hundred ms on a busy machine
      const speech = await speechWith();
      for (const { id, meta } of withMeta) {
        const bilingual = meta.prompts.some((p) => (PROMPTS[p] as { bilingual?: boolean }).bilingual);
        const xml = renderState(meta, ['input.invalid'], { language, step: 3, timeouts: TIMEOUTS, agentNumber: '+861012333', params: PARAMS, bilingual, speech });
        await validate(xml);
        const expected = (['input.invalid', ...meta.prompts] as PromptId[]).flatMap((p) =>
          (bilingual ? LANGUAGES : [language]).map((lang) => `${BASE}/audio/${fileOf(p, lang)}`),
        );
        const nodes = voiced(xml);
        expect(nodes.map((n) => n.name), `${id}: ${xml}`).to.deep.equal(expected.map(() => 'Play'));
        expect(nodes.map((n) => n.text), id).to.deep.equal(expected);
      }
    });

    it(`with AUDIO_ENABLED=false every prompt in ${language} is <Say> in the configured voice`, async () => {
      const speech = await speechWith({ AUDIO_ENABLED: 'false', SAY_VOICE_ZH: 'Polly.Zhiyu-Neural', SAY_VOICE_EN: 'Polly.Matthew-Neural' });
      const meta: StateMeta = { prompts: ['main.menu'], gather: { kind: 'menu', timer: 'menu' } };
      const xml = renderState(meta, [], { language, step: 2, timeouts: TIMEOUTS, agentNumber: '+861012333', params: PARAMS, speech });
      await validate(xml);
      const [say, ...rest] = voiced(xml);
      expect(rest).to.deep.equal([]);
      expect(say.name).to.equal('Say');
      expect(say.attrs).to.include({ language: language === 'zh-CN' ? 'cmn-CN' : 'en-US', voice: language === 'zh-CN' ? 'Polly.Zhiyu-Neural' : 'Polly.Matthew-Neural' });
      expect(say.text).to.equal(promptText('main.menu', language));
    });

    it(`the apology, recovery and busy-agent answers in ${language} play their audio too`, async () => {
      const speech = await speechWith();
      const url = (id: PromptId) => `${BASE}/audio/${fileOf(id, language)}`;
      const apology = renderApology(language, speech);
      const recovery = renderRecovery(language, '0', '+861012333', speech);
      const busy = renderDialDone(language, false, speech);
      for (const xml of [apology, recovery, busy]) await validate(xml);
      expect(responseChildren(apology).map((n) => n.name)).to.deep.equal(['Gather', 'Play', 'Hangup']);
      expect(responseChildren(apology)[0].children.map((n) => n.text)).to.deep.equal([url('trouble.apology')]);
      expect(responseChildren(apology)[1].text).to.equal(url('goodbye'));
      expect(responseChildren(recovery).map((n) => [n.name, n.text])).to.deep.equal([['Play', url('agent.transfer')], ['Dial', '+861012333']]);
      expect(responseChildren(busy).map((n) => [n.name, n.text])).to.deep.equal([['Play', url('agent.busy')], ['Hangup', '']]);
    });
  }

  it('through jambonz the same rule holds: play of the built file where its words are current, say for per-call values, say everywhere with AUDIO_ENABLED=false', async () => {
    const jambonzSpeech = async (env: Record<string, string> = {}) => {
      const config = loadConfig({ ...TEST_ENV, AUDIO_DIR: dir, ...env });
      return jambonzSpeechFor(config, await PromptAudio.load({ dir: config.audio.dir, publicBaseUrl: config.publicBaseUrl }));
    };
    const meta: StateMeta = { prompts: ['id.ending.choice'], gather: { kind: 'menu', timer: 'menu' } };
    const options = { language: 'en-US' as const, step: 4, timeouts: TIMEOUTS, agentNumber: '+1', params: PARAMS };
    const verbs = renderVerbs(meta, [promptRef('id.ending', { last4: '002X' })], { ...options, speech: await jambonzSpeech() });
    expect(() => jambonzSpecs.validate({ debug: () => undefined, info: () => undefined }, verbs)).not.to.throw();
    const parsed = parseVerbs(verbs);
    expect(parsed.says.map((say) => say.text)).to.deep.equal(['That number does not check out. It ends in 0, 0, 2, X.']);
    expect(parsed.plays).to.deep.equal([`${BASE}/audio/${fileOf('id.ending.choice', 'en-US')}`]);
    const stale = parseVerbs(renderVerbs({ prompts: ['card.locked'], end: 'hangup' }, [], { ...options, params: { ...PARAMS, lockMinutes: 45 }, speech: await jambonzSpeech() }));
    expect(stale.plays).to.deep.equal([]);
    expect(stale.text).to.include('45 minutes');
    const off = parseVerbs(renderVerbs(meta, [], { ...options, speech: await jambonzSpeech({ AUDIO_ENABLED: 'false' }) }));
    expect(off.plays).to.deep.equal([]);
    expect(off.text).to.equal(promptText('id.ending.choice', 'en-US'));
  });

  it('a prompt built with other values (a changed LOCK_MINUTES) is spoken with <Say>, never played stale', async () => {
    const speech = await speechWith();
    const meta: StateMeta = { prompts: ['card.locked'], end: 'hangup' };
    const fresh = renderState(meta, [], { language: 'en-US', step: 9, timeouts: TIMEOUTS, agentNumber: '+861012333', params: PARAMS, speech });
    expect(voiced(fresh).map((n) => n.name)).to.deep.equal(['Play']);
    const changed = { ...PARAMS, lockMinutes: 45 };
    const stale = renderState(meta, [], { language: 'en-US', step: 9, timeouts: TIMEOUTS, agentNumber: '+861012333', params: changed, speech });
    await validate(stale);
    const [say] = voiced(stale);
    expect(say.name).to.equal('Say');
    expect(say.text).to.equal(promptText('card.locked', 'en-US', changed)).and.include('45 minutes');
  });

  it('a notice with per-call values is never built and always said, while the static choices after it are played', async () => {
    expect(manifest.prompts.map((p) => p.id), 'per-call prompts are not built').not.to.include.members(['id.length', 'id.ending', 'code.length', 'pin.length']);
    const speech = await speechWith();
    const meta: StateMeta = { prompts: ['id.ending.choice'], gather: { kind: 'menu', timer: 'menu' } };
    const xml = renderState(meta, [promptRef('id.ending', { last4: '002X' })], { language: 'en-US', step: 4, timeouts: TIMEOUTS, agentNumber: '+1', params: PARAMS, speech });
    await validate(xml);
    const nodes = voiced(xml);
    expect(nodes.map((n) => n.name)).to.deep.equal(['Say', 'Play']);
    expect(nodes[0].text).to.equal('That number does not check out. It ends in 0, 0, 2, X.');
    expect(nodes[1].text).to.equal(`${BASE}/audio/${fileOf('id.ending.choice', 'en-US')}`);
  });

  it('a prompt whose wording changed after the build, or that is missing from the manifest, is spoken with <Say>', async () => {
    const edited = JSON.parse(await readFile(path.join(dir, MANIFEST_FILE), 'utf8')) as AudioManifest;
    const altered = edited.prompts.find((p) => p.id === 'goodbye' && p.lang === 'zh-CN')!;
    altered.text = '谢谢，再见。';
    altered.source = '谢谢，再见。';
    edited.prompts = edited.prompts.filter((p) => !(p.id === 'welcome' && p.lang === 'en-US'));
    const editedDir = await mkdtemp(path.join(os.tmpdir(), 'prompt-audio-edited-'));
    try {
      for (const entry of edited.prompts) await writeFile(path.join(editedDir, entry.file), await readFile(path.join(dir, entry.file)));
      await writeFile(path.join(editedDir, MANIFEST_FILE), JSON.stringify(edited));
      const speech = await speechWith({ AUDIO_DIR: editedDir });
      const goodbye = voiced(renderDialDone('zh-CN', false, speech));
      expect(goodbye.map((n) => n.name)).to.deep.equal(['Play']);
      const recovery = voiced(renderRecovery('zh-CN', '1', '+861012333', speech));
      expect(recovery.map((n) => [n.name, n.text])).to.deep.equal([['Say', promptText('goodbye', 'zh-CN')]]);
      const welcome = voiced(renderState({ prompts: ['welcome'], gather: { kind: 'menu', timer: 'menu' } }, [], { language: 'zh-CN', step: 1, timeouts: TIMEOUTS, agentNumber: '+1', params: PARAMS, bilingual: true, speech }));
      expect(welcome.map((n) => n.name), 'Mandarin half played, English half said').to.deep.equal(['Play', 'Say']);
      expect(welcome[0].text).to.equal(`${BASE}/audio/${fileOf('welcome', 'zh-CN')}`);
      expect(welcome[1].attrs.language).to.equal('en-US');
      expect(welcome[1].text).to.equal(promptText('welcome', 'en-US'));
    } finally {
      await rm(editedDir, { recursive: true, force: true });
    }
  });
});
