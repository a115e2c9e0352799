import { Router, type Response } from 'express';
import { z } from 'zod';
import type { CallEvent, GatherTimer } from '../../flows/call.machine.ts';
import type { PromptParams } from '../../prompts/catalogue.ts';
import { JAMBONZ_CALL_SID } from '../domain/call-id.ts';
import { callbackReachable } from '../domain/caller-id.ts';
import { renderAnswer, renderDialDone, renderRecovery, JAMBONZ_SAY_ONLY, type JambonzApplication, type JambonzSpeech } from '../jambonz/call-verbs.renderer.ts';
import type { CallTurnService, TurnAnswer } from '../services/call-turn.service.ts';
import { parseOr400 as parse } from '../services/console-range.parser.ts';

const callSid = z.string().regex(JAMBONZ_CALL_SID, 'call_sid must look like a jambonz call id (a UUID)');
const party = z.string().max(256).optional().default('');
const startBody = z.object({ call_sid: callSid, from: party, to: party });
const gatherBody = z.object({
  call_sid: callSid,
  reason: z.string().max(32).optional().default(''),
  digits: z.string().max(64).regex(/^[0-9*#]*$/, 'digits may hold only 0-9, * and #').optional().default(''),
});
const language = z.enum(['zh-CN', 'en-US']);
const step = z.coerce.number().int().min(1).max(10_000);
const more = z.literal('1').optional();
const gatherQuery = z.object({ step, lang: language.optional(), more });
const statusBody = z.object({ call_sid: callSid, call_status: z.string().max(32), duration: z.number().int().min(0).max(86_400).optional() });
const dialBody = z.object({ call_sid: callSid, dial_call_status: z.string().max(32).optional().default(''), from: party });
const langQuery = z.object({ lang: language.default('zh-CN'), more });
const fallbackQuery = z.object({ lang: language.optional() });
const dialQuery = z.object({ lang: language.default('zh-CN'), step: step.optional() });

/** The agent line's result in the words the flow (and Twilio) use: `completed`, `busy`, `no-answer` or `failed`. */
export function dialStatusOf(dialCallStatus: string): string {
  if (['completed', 'busy', 'no-answer', 'failed'].includes(dialCallStatus)) return dialCallStatus;
  // jambonz reports the last progress it saw when its ring timer ends the attempt (`ringing`, `early-media`).
  return 'no-answer';
}

/**
 * The event a jambonz gather's answer stands for: `dtmfDetected` with the digits (also an entry its timer cut short,
 * posted after `interDigitTimeout`), `dtmfDetected` with none is the finish key `#` alone (nothing else ends an
 * entry empty-handed), anything else (`timeout`) is silence.
 */
export function eventFromGather(reason: string, digits: string): CallEvent {
  if (reason === 'dtmfDetected') return { type: 'DIGITS', digits: digits || '#' };
  return { type: 'NO_INPUT' };
}

/** How the jambonz adapter renders: whom to dial, how long gathers wait, which voices and values. */
export interface JambonzRenderSettings {
  agentNumber: string;
  timeouts: Readonly<Record<GatherTimer, number>>;
  params: PromptParams;
  speech?: JambonzSpeech;
}

function sendVerbs(res: Response, verbs: JambonzApplication): void {
  res.status(200).json(verbs);
}

/** Nothing to add: jambonz goes on with the verbs it already has (the next prompt's gather, or the goodbye). */
function carryOn(res: Response): void {
  res.status(204).end();
}

/**
 * The jambonz webhooks (JSON in, verbs out): the call webhook, each gather, the call status webhook, the agent
 * line's result, the fallback a gather's `redirect` reaches when its webhook gave nothing, and the stateless
 * recovery. The same turn pipeline as Twilio's; only parsing and rendering differ.
 */
export function jambonzRoutes(calls: CallTurnService, options: JambonzRenderSettings): Router {
  const router = Router();
  const speech = options.speech ?? JAMBONZ_SAY_ONLY;
  const render = (answer: TurnAnswer) => renderAnswer(answer, { agentNumber: options.agentNumber, timeouts: options.timeouts, params: options.params, speech });

  router.post('/call', async (req, res) => {
    const body = parse(startBody, req.body);
    sendVerbs(res, render(await calls.startCall({ callSid: body.call_sid, from: body.from, to: body.to, carrier: 'jambonz' })));
  });

  router.post('/gather', async (req, res) => {
    const query = parse(gatherQuery, req.query);
    const body = parse(gatherBody, req.body);
    // A prompt before the last heard no key: the next prompt's gather is already queued at jambonz.
    if (query.more && body.reason !== 'dtmfDetected') return carryOn(res);
    sendVerbs(res, render(await calls.handleTurn({ callSid: body.call_sid, step: query.step, event: eventFromGather(body.reason, body.digits), language: query.lang, carrier: 'jambonz' })));
  });

  router.post('/status', async (req, res) => {
    const body = parse(statusBody, req.body);
    await calls.handleStatus({ callSid: body.call_sid, callStatus: body.call_status, durationSeconds: body.duration ?? null });
    res.status(204).end();
  });

  router.post('/fallback', async (req, res) => {
    const { lang } = parse(fallbackQuery, req.query);
    const sid = callSid.safeParse((req.body as Record<string, unknown> | undefined)?.call_sid);
    const answer = await calls.resumeCall(sid.success ? sid.data : null);
    sendVerbs(res, render(answer.kind === 'apology' && answer.language === 'both' && lang ? { kind: 'apology', language: lang } : answer));
  });

  router.post('/recover', async (req, res) => {
    const { lang } = parse(langQuery, req.query);
    const body = parse(gatherBody, req.body);
    // No key after the apology: the goodbye that follows it is already queued, as after Twilio's <Gather>.
    if (body.reason !== 'dtmfDetected') return carryOn(res);
    await calls.recordRecovery(body.call_sid, body.digits === '0' ? 'transferred' : 'goodbye');
    sendVerbs(res, renderRecovery(lang, body.digits, options.agentNumber, speech));
  });

  // A dial rendered by a state carries its step: the agent line's result is a turn of the call. Without a step it is
  // the stateless recovery path's dial (the database was down), answered as before.
  router.post('/dial-done', async (req, res) => {
    const { lang, step: dialStep } = parse(dialQuery, req.query);
    const body = parse(dialBody, req.body);
    const status = dialStatusOf(body.dial_call_status);
    if (dialStep !== undefined) {
      const event: CallEvent = { type: 'DIAL_RESULT', status, callerReachable: callbackReachable(body.from) };
      sendVerbs(res, render(await calls.handleTurn({ callSid: body.call_sid, step: dialStep, event, language: lang, carrier: 'jambonz' })));
      return;
    }
    const { answered } = await calls.recordDialResult(body.call_sid, status);
    sendVerbs(res, renderDialDone(lang, answered, speech));
  });

  return router;
}
