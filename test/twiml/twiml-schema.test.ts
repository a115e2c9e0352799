import { expect } from 'chai';
import type { AnyStateNode } from 'xstate';
import { validateXML } from 'xmllint-wasm';
import { callMachine, type StateMeta } from '../../flows/call.machine.ts';
import { LANGUAGES, parsePromptRef, PROMPTS, promptRef, promptText, refText, type Language, type PromptId, type PromptParams, type PromptRef } from '../../prompts/catalogue.ts';
import { answerRenderer, renderApology, renderDialDone, renderRecovery, renderState, type RenderOptions } from '../../src/twiml/call-response.renderer.ts';
import { expectValid, loadSchema, responseChildren, schemaAvailable, schemaDir, type Schema, type TwimlNode } from '../support/twiml-schema.ts';

/**
 * Every TwiML answer the line can give is checked against Twilio's own XML schema (read from
 * ../shared/twiml-schema, never copied into the repository) and against the shape the flow relies on.
 */

const AGENT = '+861012333';
const STEP = 7;
const PARAMS: PromptParams = { otpMinutes: 5, lockMinutes: 30, lockAfter: 5, callbackHours: 4, agentOpens: '8:30', agentCloses: '17:30' };
/** Distinct seconds per timer, so the test sees which one a state used. */
const TIMEOUTS = { menu: 4, id: 11, code: 9, pin: 7 };
const NOTICES: PromptRef[][] = [[], ['input.invalid'], [promptRef('code.length', { entered: 4 })]];

/** Voices Twilio offers for Mandarin and for US English on `<Say>` (Polly standard/neural, Google). */
const MANDARIN_VOICE = /^(Polly\.Zhiyu(-Neural)?|Google\.cmn-CN-[A-Za-z0-9]+-[A-Z])$/;
const ENGLISH_VOICE =
  /^(Polly\.(Joanna|Matthew|Salli|Kimberly|Kendra|Ivy|Justin|Joey|Kevin|Ruth|Stephen|Danielle|Gregory|Patrick)(-Neural|-Generative)?|Google\.en-US-[A-Za-z0-9]+-[A-Z])$/;
const SAY_LANGUAGE: Record<Language, string> = { 'zh-CN': 'cmn-CN', 'en-US': 'en-US' };
const SAY_VOICE: Record<Language, RegExp> = { 'zh-CN': MANDARIN_VOICE, 'en-US': ENGLISH_VOICE };
const CJK = /[\u4e00-\u9fff]/;

/** The `<Say>` lines the caller hears for these prompts, in order (bilingual prompts, or all of them in a bilingual state, in both languages). */
function expectedSays(refs: PromptRef[], language: Language, bilingual = false): { lang: Language; text: string }[] {
  return refs.flatMap((ref) => {
    const entry = PROMPTS[parsePromptRef(ref).id as PromptId] as { bilingual?: boolean };
    const langs: Language[] = entry.bilingual || bilingual ? ['zh-CN', 'en-US'] : [language];
    return langs.map((lang) => ({ lang, text: refText(ref, lang, PARAMS) }));
  });
}

function expectSays(says: TwimlNode[], expected: { lang: Language; text: string }[], xml: string): void {
  expect(says.map((s) => s.name), xml).to.deep.equal(expected.map(() => 'Say'));
  says.forEach((say, i) => {
    const { lang, text } = expected[i];
    expect(say.attrs.language, `<Say> #${i + 1} language`).to.equal(SAY_LANGUAGE[lang]);
    expect(say.attrs.voice, `<Say> #${i + 1} voice for ${lang}`).to.match(SAY_VOICE[lang]);
    expect(say.text, `<Say> #${i + 1} text`).to.equal(text);
    expect(say.text, `<Say> #${i + 1} has an unfilled placeholder`).not.to.match(/\{\w+\}/);
    if (lang === 'zh-CN') expect(say.text, 'Mandarin <Say> holds Chinese text').to.match(CJK);
    else expect(say.text, 'English <Say> holds no Chinese text').not.to.match(CJK);
  });
}

/* ---------- the machine's states ---------- */

function allStateNodes(node: AnyStateNode): AnyStateNode[] {
  return [node, ...Object.values(node.states).flatMap((child) => allStateNodes(child))];
}

const stateNodes = allStateNodes(callMachine.root);
const withMeta = stateNodes
  .map((node) => ({ node, meta: node.meta as StateMeta | undefined }))
  .filter((entry): entry is { node: AnyStateNode; meta: StateMeta } => Array.isArray(entry.meta?.prompts));

describe('TwiML against Twilio\u2019s schema', function () {
  let schema: Schema;

  before(async function () {
    if (!schemaAvailable()) {
      console.warn(`    skipped: Twilio's TwiML schema not found at ${schemaDir} (expected ../shared/twiml-schema beside the clone)`);
      this.skip();
    }
    schema = await loadSchema();
  });

  it('the machine has states to render, and every state without meta is a transient one that invokes a service', () => {
    expect(withMeta.length).to.be.greaterThan(10);
    for (const node of stateNodes) {
      if (node === callMachine.root || node.meta !== undefined) continue;
      expect(node.type, `${node.id} has no meta`).to.equal('atomic');
      expect(node.invoke.length, `${node.id} has no meta and invokes nothing, so it would be rendered`).to.be.greaterThan(0);
    }
  });

  it('the schema check is live: it rejects TwiML Twilio would refuse', async () => {
    const result = await validateXML({
      xml: { fileName: 'bad.xml', contents: '<?xml version="1.0" encoding="UTF-8"?><Response><Gather numDigits="one"><Dial>+1</Dial></Gather></Response>' },
      schema: schema.main,
      preload: schema.preload,
    });
    expect(result.valid).to.equal(false);
  });

  for (const { node, meta } of withMeta) {
    for (const language of LANGUAGES) {
      for (const notice of NOTICES) {
        const label = `${node.id} in ${language}${notice.length ? ` with notice ${notice.join(',')}` : ''}`;
        it(`${label}: valid TwiML of the right shape`, async () => {
          const bilingualState = meta.prompts.some((id) => (PROMPTS[id] as { bilingual?: boolean }).bilingual);
          const options: RenderOptions = { language, step: STEP, timeouts: TIMEOUTS, agentNumber: AGENT, params: PARAMS, bilingual: bilingualState };
          const xml = renderState(meta, notice, options);
          await expectValid(schema, xml);
          const children = responseChildren(xml);
          const says = expectedSays([...notice, ...meta.prompts], language, bilingualState);

          if (meta.gather) {
            expect(meta.end, `${node.id} both gathers and ends`).to.equal(undefined);
            expect(children.map((c) => c.name), xml).to.deep.equal(['Gather']);
            const gather = children[0];
            expect(gather.attrs.input).to.equal('dtmf');
            expect(gather.attrs.actionOnEmptyResult).to.equal('true');
            // `/voice/gather?step=N`; a `lang` parameter, when present, names the call's language.
            const action = new URL(gather.attrs.action ?? '', 'https://hotline.invalid');
            expect(`${action.origin}${action.pathname}`, gather.attrs.action).to.equal('https://hotline.invalid/voice/gather');
            expect(action.searchParams.get('step'), gather.attrs.action).to.equal(String(STEP));
            expect([...action.searchParams.keys()].filter((key) => key !== 'step' && key !== 'lang'), gather.attrs.action).to.deep.equal([]);
            if (action.searchParams.has('lang')) expect(action.searchParams.get('lang')).to.equal(language);
            expect(gather.attrs.method).to.equal('POST');
            expect(gather.attrs.timeout, `the ${meta.gather.timer} timer`).to.equal(String(TIMEOUTS[meta.gather.timer]));
            if (meta.gather.kind === 'menu') {
              expect(gather.attrs.numDigits, 'a menu takes one key').to.equal('1');
              expect(gather.attrs.finishOnKey, 'a menu has no finish key, so # is a key like any other').to.equal('');
            } else {
              expect(gather.attrs.finishOnKey, 'an entry ends with #').to.equal('#');
              expect(gather.attrs.numDigits, 'an entry is not cut at one key').to.equal(undefined);
            }
            expectSays(gather.children, says, xml);
          } else {
            expect(node.type === 'final' || meta.end === 'dial', `${node.id} neither gathers, dials nor is final`).to.equal(true);
            const last = children[children.length - 1];
            expectSays(children.slice(0, -1), says, xml);
            if (meta.end === 'dial') {
              expect(last.name, 'a transfer ends with <Dial>').to.equal('Dial');
              expect(last.text).to.equal(AGENT);
              expect(last.attrs.action, 'the agent line reports back as a turn of the call').to.equal(`/voice/dial-done?step=${STEP}&lang=${language}`);
            } else {
              expect(last.name, 'a final state ends with <Hangup/>').to.equal('Hangup');
            }
          }
        });
      }
    }
  }

  it('type-ahead: in every gathering state each prompt, a notice before the menu included, is inside the <Gather>, so a key pressed during any of them acts at once', () => {
    for (const { node, meta } of withMeta) {
      if (!meta.gather) continue;
      const notice: PromptRef[] = ['input.none', promptRef('id.length', { entered: 12 })];
      const xml = renderState(meta, notice, { language: 'zh-CN', step: STEP, timeouts: TIMEOUTS, agentNumber: AGENT, params: PARAMS });
      const children = responseChildren(xml);
      expect(children.map((c) => c.name), `${node.id}: nothing is said outside the <Gather>`).to.deep.equal(['Gather']);
      expectSays(children[0].children, expectedSays([...notice, ...meta.prompts], 'zh-CN'), xml);
    }
  });

  it('each gathering state waits as long as its own timer says: menus short, the ID and codes longer', () => {
    const timeoutOf = (state: string) => {
      const meta = callMachine.root.states[state].meta as StateMeta;
      return responseChildren(renderState(meta, [], { language: 'en-US', step: STEP, timeouts: TIMEOUTS, agentNumber: AGENT, params: PARAMS }))[0].attrs.timeout;
    };
    expect(['mainMenu', 'enterId', 'enterCode', 'enterNewPin', 'callbackOffer'].map(timeoutOf)).to.deep.equal(['4', '11', '9', '7', '4']);
  });

  it('an answer kept rendered is the builder\u2019s own, byte for byte, at every step, for every state, notice and language', () => {
    const render = answerRenderer({ timeouts: TIMEOUTS, agentNumber: AGENT, params: PARAMS });
    let compared = 0;
    for (const step of [1, 7, 7, 42, 9999]) {
      for (const { meta } of withMeta) {
        for (const notice of NOTICES) {
          for (const language of LANGUAGES) {
            for (const bilingual of [false, true]) {
              const view = { meta, notice: notice as string[], language, bilingual };
              const built = renderState(meta, notice, { language, step, timeouts: TIMEOUTS, agentNumber: AGENT, params: PARAMS, bilingual });
              expect(render({ kind: 'state', view, step }), `${meta.prompts.join(',')} at step ${step}`).to.equal(built);
              compared += 1;
            }
          }
        }
      }
    }
    expect(compared).to.equal(5 * withMeta.length * NOTICES.length * LANGUAGES.length * 2);
    expect(render({ kind: 'apology', language: 'both' })).to.equal(renderApology('both'));
  });

  for (const language of ['zh-CN', 'en-US', 'both'] as const) {
    it(`the apology (${language}): valid TwiML, one key for an agent, else hang up`, async () => {
      const xml = renderApology(language);
      await expectValid(schema, xml);
      const children = responseChildren(xml);
      const langs: Language[] = language === 'both' ? ['zh-CN', 'en-US'] : [language];
      expect(children.map((c) => c.name), xml).to.deep.equal(['Gather', ...langs.map(() => 'Say'), 'Hangup']);
      expectSays(
        children.slice(1, -1),
        langs.map((lang) => ({ lang, text: promptText('goodbye', lang) })),
        xml,
      );
      const gather = children[0];
      expect(gather.attrs.input).to.equal('dtmf');
      expect(gather.attrs.numDigits).to.equal('1');
      expect(gather.attrs.method).to.equal('POST');
      expect(gather.attrs.action).to.equal(`/voice/recover?lang=${language === 'both' ? 'zh-CN' : language}`);
      expectSays(
        gather.children,
        langs.map((lang) => ({ lang, text: promptText('trouble.apology', lang) })),
        xml,
      );
    });
  }

  for (const language of LANGUAGES) {
    it(`recovery in ${language}, key 0: valid TwiML that dials the agent`, async () => {
      const xml = renderRecovery(language, '0', AGENT);
      await expectValid(schema, xml);
      const children = responseChildren(xml);
      expect(children.map((c) => c.name), xml).to.deep.equal(['Say', 'Dial']);
      expectSays(children.slice(0, 1), [{ lang: language, text: promptText('agent.transfer', language) }], xml);
      expect(children[1].text).to.equal(AGENT);
    });

    it(`recovery in ${language}, key 1: valid TwiML that says goodbye and hangs up`, async () => {
      const xml = renderRecovery(language, '1', AGENT);
      await expectValid(schema, xml);
      const children = responseChildren(xml);
      expect(children.map((c) => c.name), xml).to.deep.equal(['Say', 'Hangup']);
      expectSays(children.slice(0, 1), [{ lang: language, text: promptText('goodbye', language) }], xml);
    });

    it(`after the agent line in ${language}: valid TwiML, an apology only when nobody answered`, async () => {
      for (const answered of [false, true]) {
        const xml = renderDialDone(language, answered);
        await expectValid(schema, xml);
        const children = responseChildren(xml);
        if (answered) expect(children.map((c) => c.name), xml).to.deep.equal(['Hangup']);
        else {
          expect(children.map((c) => c.name), xml).to.deep.equal(['Say', 'Hangup']);
          expectSays(children.slice(0, 1), [{ lang: language, text: promptText('agent.busy', language) }], xml);
        }
      }
    });
  }
});
