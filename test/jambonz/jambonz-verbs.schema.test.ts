import { expect } from 'chai';
import jambonzSpecs from '@jambonz/verb-specifications';
import type { AnyStateNode } from 'xstate';
import { callMachine, type StateMeta } from '../../flows/call.machine.ts';
import { LANGUAGES, parsePromptRef, PROMPTS, promptRef, promptText, refText, type Language, type PromptId, type PromptParams, type PromptRef } from '../../prompts/catalogue.ts';
import { JAMBONZ_SAY_ONLY, renderApology, renderDialDone, renderRecovery, renderState, SEGMENT_WAIT_SECONDS, type JambonzApplication, type JambonzRenderOptions, type JambonzSpeech } from '../../src/jambonz/call-verbs.renderer.ts';
import { parseVerbs, type ParsedVerbs } from '../support/jambonz.ts';

/**
 * Every answer the line can give through jambonz is checked against `@jambonz/verb-specifications` (what jambonz's
 * feature server validates an application with) and against the shape the flow relies on.
 */

const AGENT = '+861012333';
const STEP = 7;
const PARAMS: PromptParams = { otpMinutes: 5, lockMinutes: 30, lockAfter: 5, callbackHours: 4, agentOpens: '8:30', agentCloses: '17:30' };
/** Distinct seconds per timer, so the test sees which one a state used. */
const TIMEOUTS = { menu: 4, id: 11, code: 9, pin: 7 };
const NOTICES: PromptRef[][] = [[], ['input.invalid'], [promptRef('code.length', { entered: 4 })]];
const SYNTH_LANGUAGE: Record<Language, string> = { 'zh-CN': 'cmn-CN', 'en-US': 'en-US' };
const CJK = /[\u4e00-\u9fff]/;
const quiet = { debug: () => undefined, info: () => undefined };

/** Validates an application as jambonz's feature server does (it throws naming the first problem). */
function expectValid(verbs: JambonzApplication): void {
  expect(() => jambonzSpecs.validate(quiet, verbs), JSON.stringify(verbs)).not.to.throw();
}

/** The lines the caller hears, in order: a bilingual state says all of its Mandarin, then all of its English (one voice change). */
function expectedSays(refs: PromptRef[], language: Language, bilingual = false): { lang: Language; text: string }[] {
  const lines = refs.flatMap((ref) => {
    const entry = PROMPTS[parsePromptRef(ref).id as PromptId] as { bilingual?: boolean };
    const langs: readonly Language[] = entry.bilingual || bilingual ? LANGUAGES : [language];
    return langs.map((lang) => ({ lang, text: refText(ref, lang, PARAMS) }));
  });
  return bilingual ? LANGUAGES.flatMap((lang) => lines.filter((line) => line.lang === lang)) : lines;
}

function expectSays(parsed: ParsedVerbs, expected: { lang: Language; text: string }[]): void {
  const json = JSON.stringify(parsed.verbs);
  expect(parsed.says.map((s) => s.text), json).to.deep.equal(expected.map((e) => e.text));
  parsed.says.forEach((say, i) => {
    const { lang, text } = expected[i];
    expect(say.language, `say #${i + 1} language`).to.equal(SYNTH_LANGUAGE[lang]);
    expect(say.vendor, `say #${i + 1} vendor`).to.equal('google');
    expect(say.voice, `say #${i + 1} voice`).to.match(lang === 'zh-CN' ? /^cmn-CN-/ : /^en-US-/);
    expect(text, `say #${i + 1} has an unfilled placeholder`).not.to.match(/\{\w+\}/);
    if (lang === 'zh-CN') expect(text, 'Mandarin is said in Chinese').to.match(CJK);
    else expect(text, 'English holds no Chinese').not.to.match(CJK);
  });
}

function allStateNodes(node: AnyStateNode): AnyStateNode[] {
  return [node, ...Object.values(node.states).flatMap((child) => allStateNodes(child))];
}

const withMeta = allStateNodes(callMachine.root)
  .map((node) => ({ node, meta: node.meta as StateMeta | undefined }))
  .filter((entry): entry is { node: AnyStateNode; meta: StateMeta } => Array.isArray(entry.meta?.prompts));

describe('jambonz verbs against @jambonz/verb-specifications', () => {
  it('the check is live: it refuses verbs jambonz would refuse', () => {
    expect(() => jambonzSpecs.validate(quiet, [{ verb: 'gather', numDigits: 'one', actionHook: '/x' }])).to.throw(/numDigits/);
    expect(() => jambonzSpecs.validate(quiet, [{ verb: 'say', text: 'hi', voice: 'Polly.Joanna' }])).to.throw(/unknown property voice/);
    expect(() => jambonzSpecs.validate(quiet, [{ verb: 'dial' }])).to.throw(/missing value/);
    expect(() => jambonzSpecs.validate(quiet, [{ verb: 'Gather' }])).to.throw(/invalid instruction/);
  });

  it('the machine has states to render', () => {
    expect(withMeta.length).to.be.greaterThan(10);
  });

  for (const { node, meta } of withMeta) {
    for (const language of LANGUAGES) {
      for (const notice of NOTICES) {
        const label = `${node.id} in ${language}${notice.length ? ` with notice ${notice.join(',')}` : ''}`;
        it(`${label}: valid verbs of the right shape`, () => {
          const bilingual = meta.prompts.some((id) => (PROMPTS[id] as { bilingual?: boolean }).bilingual);
          const options: JambonzRenderOptions = { language, step: STEP, timeouts: TIMEOUTS, agentNumber: AGENT, params: PARAMS, bilingual };
          const verbs = renderState(meta, notice, options);
          expectValid(verbs);
          const parsed = parseVerbs(verbs);
          expectSays(parsed, expectedSays([...notice, ...meta.prompts], language, bilingual));
          const names = verbs.map((v) => v.verb);
          if (meta.gather) {
            expect(meta.end).to.equal(undefined);
            expect(names.at(-1), 'a gathering answer ends with the fallback redirect').to.equal('redirect');
            expect(parsed.redirect).to.equal(`/jambonz/fallback?lang=${language}`);
            expect(names.slice(0, -1).every((name) => name === 'gather'), `${names}: every prompt is inside a gather (type-ahead)`).to.equal(true);
            parsed.gathers.forEach((gather, i) => {
              const last = i === parsed.gathers.length - 1;
              expect(gather.input).to.deep.equal(['digits']);
              expect(gather.dtmfBargein, 'a key stops the prompt').to.equal(true);
              expect(gather.actionHook).to.equal(`/jambonz/gather?step=${STEP}&lang=${language}${last ? '' : '&more=1'}`);
              expect(gather.timeout, last ? `the ${meta.gather!.timer} timer` : 'an earlier voice listens briefly').to.equal(last ? TIMEOUTS[meta.gather!.timer] : SEGMENT_WAIT_SECONDS);
              if (meta.gather!.kind === 'menu') {
                expect(gather.numDigits, 'a menu takes one key').to.equal(1);
                expect(gather.finishOnKey, 'a menu has no finish key, so # is a key like any other').to.equal(undefined);
              } else {
                expect(gather).to.include({ finishOnKey: '#', minDigits: 1, interDigitTimeout: TIMEOUTS[meta.gather!.timer] });
                expect(gather.numDigits, 'an entry is not cut at one key').to.equal(undefined);
              }
              expect(Boolean(gather.say) !== Boolean(gather.play), 'one say or one play per gather').to.equal(true);
            });
          } else {
            expect(node.type === 'final' || meta.end === 'dial', `${node.id} neither gathers, dials nor is final`).to.equal(true);
            if (meta.end === 'dial') {
              expect(names.at(-1), 'a transfer ends with dial').to.equal('dial');
              expect(parsed.dial).to.equal(AGENT);
              expect(parsed.dialHook, 'the agent line reports back as a turn of the call').to.equal(`/jambonz/dial-done?step=${STEP}&lang=${language}`);
            } else {
              expect(names.at(-1), 'a final state ends with hangup').to.equal('hangup');
            }
          }
        });
      }
    }
  }

  it('pre-built audio is played where the manifest has the current words, and a prompt with per-call values is always said', () => {
    const speech: JambonzSpeech = { ...JAMBONZ_SAY_ONLY, audioUrl: (id, language) => `https://hotline.test/audio/${id}.${language}.wav` };
    const meta = callMachine.root.states.enterId.meta as StateMeta;
    const verbs = renderState(meta, [promptRef('id.length', { entered: 12 })], { language: 'en-US', step: STEP, timeouts: TIMEOUTS, agentNumber: AGENT, params: PARAMS, speech });
    expectValid(verbs);
    const parsed = parseVerbs(verbs);
    expect(parsed.says.map((s) => s.text)).to.deep.equal([refText(promptRef('id.length', { entered: 12 }), 'en-US', PARAMS)]);
    expect(parsed.plays).to.deep.equal(meta.prompts.map((id) => `https://hotline.test/audio/${id}.en-US.wav`));
  });

  it('the configured synthesizer (with its credential label) is the one that says the prompts', () => {
    const speech: JambonzSpeech = {
      ...JAMBONZ_SAY_ONLY,
      synthesizers: { 'zh-CN': { vendor: 'microsoft', language: 'zh-CN', voice: 'zh-CN-XiaoxiaoNeural', label: 'cn-east' }, 'en-US': { vendor: 'aws', language: 'en-US', voice: 'Joanna' } },
    };
    const verbs = renderState(callMachine.root.states.welcome.meta as StateMeta, [], { language: 'zh-CN', step: 1, timeouts: TIMEOUTS, agentNumber: AGENT, params: PARAMS, bilingual: true, speech });
    expectValid(verbs);
    const synths = parseVerbs(verbs).gathers.map((g) => g.say?.synthesizer);
    expect(synths).to.deep.equal([
      { vendor: 'microsoft', language: 'zh-CN', voice: 'zh-CN-XiaoxiaoNeural', label: 'cn-east' },
      { vendor: 'aws', language: 'en-US', voice: 'Joanna' },
    ]);
  });

  for (const language of ['zh-CN', 'en-US', 'both'] as const) {
    it(`the apology (${language}): valid verbs, one key for an agent, else goodbye and hang up`, () => {
      const verbs = renderApology(language);
      expectValid(verbs);
      const parsed = parseVerbs(verbs);
      const langs: readonly Language[] = language === 'both' ? LANGUAGES : [language];
      expectSays(parsed, [...langs.map((lang) => ({ lang, text: promptText('trouble.apology', lang) })), ...langs.map((lang) => ({ lang, text: promptText('goodbye', lang) }))]);
      expect(parsed.gather?.actionHook).to.equal(`/jambonz/recover?lang=${language === 'both' ? 'zh-CN' : language}`);
      expect(parsed.gather?.numDigits).to.equal(1);
      expect(verbs.at(-1)?.verb).to.equal('hangup');
    });
  }

  for (const language of LANGUAGES) {
    it(`recovery in ${language}: 0 dials the agent, another key says goodbye and hangs up; both valid`, () => {
      const agent = renderRecovery(language, '0', AGENT);
      expectValid(agent);
      expectSays(parseVerbs(agent), [{ lang: language, text: promptText('agent.transfer', language) }]);
      expect(parseVerbs(agent).dial).to.equal(AGENT);
      const bye = renderRecovery(language, '1', AGENT);
      expectValid(bye);
      expectSays(parseVerbs(bye), [{ lang: language, text: promptText('goodbye', language) }]);
      expect(bye.map((v) => v.verb)).to.deep.equal(['say', 'hangup']);
    });

    it(`after the agent line in ${language}: valid verbs, an apology only when nobody answered`, () => {
      const answered = renderDialDone(language, true);
      expectValid(answered);
      expect(answered.map((v) => v.verb)).to.deep.equal(['hangup']);
      const busy = renderDialDone(language, false);
      expectValid(busy);
      expectSays(parseVerbs(busy), [{ lang: language, text: promptText('agent.busy', language) }]);
    });
  }
});
