import { Router, type Request } from 'express';
import { z } from 'zod';
import type { CallEvent } from '../../flows/call.machine.ts';
import type { PromptParams } from '../../prompts/catalogue.ts';
import type { CallTurnService, TurnAnswer } from '../services/call-turn.service.ts';
import { renderAnswer, renderDialDone, renderRecovery, SAY_ONLY, type Speech } from '../twiml/call-response.renderer.ts';
import { AppError } from './app-error.ts';

const callSid = z.string().regex(/^CA[0-9A-Za-z]{10,40}$/, 'CallSid must look like a Twilio call id');
const phone = z.string().max(256).optional().default('');
const startBody = z.object({ CallSid: callSid, From: phone, To: phone, Caller: phone });
const gatherBody = z.object({ CallSid: callSid, Digits: z.string().max(64).regex(/^[0-9*#]*$/, 'Digits may hold only 0-9, * and #').optional() });
const gatherQuery = z.object({ step: z.coerce.number().int().min(1).max(10_000), lang: z.enum(['zh-CN', 'en-US']).optional() });
const statusBody = z.object({
  CallSid: callSid,
  CallStatus: z.string().max(32),
  CallDuration: z.coerce.number().int().min(0).max(86_400).optional(),
});
const dialBody = z.object({ CallSid: callSid, DialCallStatus: z.string().max(32).default('') });
const langQuery = z.object({ lang: z.enum(['zh-CN', 'en-US']).default('zh-CN') });

/** Parses a request part against a schema or throws a 400 naming the first problem. */
function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new AppError(400, 'bad-request', `${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  return result.data;
}

/** The event a `<Gather>` answer stands for: digits, or silence when it came back empty. */
export function eventFromDigits(digits: string | undefined): CallEvent {
  return !digits ? { type: 'NO_INPUT' } : { type: 'DIGITS', digits };
}

function sendTwiml(res: import('express').Response, twiml: string, status = 200): void {
  res.status(status).type('text/xml').send(twiml);
}

/** How the Twilio adapter renders: where gathers post, how long they wait, whom to dial, which voices and values. */
export interface TwilioRenderSettings {
  agentNumber: string;
  gatherTimeoutSeconds: number;
  params: PromptParams;
  speech?: Speech;
}

/** The Twilio voice webhooks: answer, each gathered step, status callback, fallback and recovery. */
export function voiceRoutes(calls: CallTurnService, options: TwilioRenderSettings): Router {
  const router = Router();
  const speech = options.speech ?? SAY_ONLY;
  const render = (answer: TurnAnswer) => renderAnswer(answer, { agentNumber: options.agentNumber, gatherTimeoutSeconds: options.gatherTimeoutSeconds, params: options.params, speech });

  router.post('/', async (req: Request, res) => {
    const body = parse(startBody, req.body);
    sendTwiml(res, render(await calls.startCall({ callSid: body.CallSid, from: body.From || body.Caller, to: body.To, carrier: 'twilio' })));
  });

  router.post('/gather', async (req, res) => {
    const { step, lang } = parse(gatherQuery, req.query);
    const body = parse(gatherBody, req.body);
    sendTwiml(res, render(await calls.handleTurn({ callSid: body.CallSid, step, event: eventFromDigits(body.Digits), language: lang, carrier: 'twilio' })));
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

  router.post('/dial-done', async (req, res) => {
    const { lang } = parse(langQuery, req.query);
    const body = parse(dialBody, req.body);
    const { answered } = await calls.recordDialResult(body.CallSid, body.DialCallStatus);
    sendTwiml(res, renderDialDone(lang, answered, speech));
  });

  return router;
}
