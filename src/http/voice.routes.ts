import { Router, type Request } from 'express';
import { z } from 'zod';
import type { CallEvent, GatherTimer } from '../../flows/call.machine.ts';
import type { PromptParams } from '../../prompts/catalogue.ts';
import type { CallTurnService } from '../services/call-turn.service.ts';
import { answerRenderer, renderDialDone, renderRecovery, SAY_ONLY, type Speech } from '../twiml/call-response.renderer.ts';
import { AppError } from './app-error.ts';
import { TWILIO_CALL_SID } from '../domain/call-id.ts';
import { callbackReachable } from '../domain/caller-id.ts';

const callSid = z.string().regex(TWILIO_CALL_SID, 'CallSid must look like a Twilio call id');
const phone = z.string().max(256).optional().default('');
const startBody = z.object({ CallSid: callSid, From: phone, To: phone, Caller: phone });
const gatherBody = z.object({
  CallSid: callSid,
  Digits: z.string().max(64).regex(/^[0-9*#]*$/, 'Digits may hold only 0-9, * and #').optional(),
  FinishedOnKey: z.string().max(1).regex(/^[0-9*#]?$/, 'FinishedOnKey is one key or empty').optional(),
});
const gatherQuery = z.object({ step: z.coerce.number().int().min(1).max(10_000), lang: z.enum(['zh-CN', 'en-US']).optional() });
const statusBody = z.object({
  CallSid: callSid,
  CallStatus: z.string().max(32),
  CallDuration: z.coerce.number().int().min(0).max(86_400).optional(),
});
const dialBody = z.object({ CallSid: callSid, DialCallStatus: z.string().max(32).default(''), From: phone, Caller: phone });
const langQuery = z.object({ lang: z.enum(['zh-CN', 'en-US']).default('zh-CN') });
const dialQuery = langQuery.extend({ step: z.coerce.number().int().min(1).max(10_000).optional() });

/** Parses a request part against a schema or throws a 400 naming the first problem. */
function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new AppError(400, 'bad-request', `${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  return result.data;
}

/**
 * The event a `<Gather>` answer stands for: the digits (also when the timer ran out part-way: Twilio posts what
 * was typed, with an empty `FinishedOnKey`); `#` alone when the finish key came with nothing before it; silence
 * when nothing came at all. A carrier that does not send `FinishedOnKey` makes `#` alone look like silence.
 */
export function eventFromDigits(digits: string | undefined, finishedOnKey?: string): CallEvent {
  if (digits) return { type: 'DIGITS', digits };
  if (finishedOnKey === '#') return { type: 'DIGITS', digits: '#' };
  return { type: 'NO_INPUT' };
}

function sendTwiml(res: import('express').Response, twiml: string, status = 200): void {
  res.status(status).type('text/xml').send(twiml);
}

/** How the Twilio adapter renders: where gathers post, how long they wait, whom to dial, which voices and values. */
export interface TwilioRenderSettings {
  agentNumber: string;
  timeouts: Readonly<Record<GatherTimer, number>>;
  params: PromptParams;
  speech?: Speech;
}

/** The Twilio voice webhooks: answer, each gathered step, status callback, fallback and recovery. */
export function voiceRoutes(calls: CallTurnService, options: TwilioRenderSettings): Router {
  const router = Router();
  const speech = options.speech ?? SAY_ONLY;
  const render = answerRenderer({ agentNumber: options.agentNumber, timeouts: options.timeouts, params: options.params, speech });

  router.post('/', async (req: Request, res) => {
    const body = parse(startBody, req.body);
    sendTwiml(res, render(await calls.startCall({ callSid: body.CallSid, from: body.From || body.Caller, to: body.To, carrier: 'twilio' })));
  });

  router.post('/gather', async (req, res) => {
    const { step, lang } = parse(gatherQuery, req.query);
    const body = parse(gatherBody, req.body);
    sendTwiml(res, render(await calls.handleTurn({ callSid: body.CallSid, step, event: eventFromDigits(body.Digits, body.FinishedOnKey), language: lang, carrier: 'twilio' })));
  });

  router.post('/status', async (req, res) => {
    const body = parse(statusBody, req.body);
    await calls.handleStatus({ callSid: body.CallSid, callStatus: body.CallStatus, durationSeconds: body.CallDuration ?? null });
    res.status(204).end();
  });

  router.post('/fallback', async (req, res) => {
    const sid = callSid.safeParse((req.body as Record<string, unknown> | undefined)?.CallSid);
    sendTwiml(res, render(await calls.resumeCall(sid.success ? sid.data : null)));
  });

  router.post('/recover', async (req, res) => {
    const { lang } = parse(langQuery, req.query);
    const body = parse(gatherBody, req.body);
    await calls.recordRecovery(body.CallSid, body.Digits === '0' ? 'transferred' : 'goodbye');
    sendTwiml(res, renderRecovery(lang, body.Digits ?? '', options.agentNumber, speech));
  });

  // A <Dial> rendered by a state carries its step: the agent line's result is a turn of the call. Without a step it
  // is the stateless recovery path's <Dial> (the database was down), answered as before.
  router.post('/dial-done', async (req, res) => {
    const { lang, step } = parse(dialQuery, req.query);
    const body = parse(dialBody, req.body);
    if (step !== undefined) {
      const event: CallEvent = { type: 'DIAL_RESULT', status: body.DialCallStatus || 'failed', callerReachable: callbackReachable(body.From || body.Caller) };
      sendTwiml(res, render(await calls.handleTurn({ callSid: body.CallSid, step, event, language: lang, carrier: 'twilio' })));
      return;
    }
    const { answered } = await calls.recordDialResult(body.CallSid, body.DialCallStatus);
    sendTwiml(res, renderDialDone(lang, answered, speech));
  });

  return router;
}
