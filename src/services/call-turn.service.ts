import { createActor, waitFor, type SnapshotFrom } from 'xstate';
import { HotlineMetrics, isDatabaseError, type TurnResult } from '../observability/hotline.metrics.ts';
import { callMachine, type CallEvent, type GatherSpec, type StateMeta } from '../../flows/call.machine.ts';
import type { Language } from '../../prompts/catalogue.ts';
import { promptParams, type Config } from '../config.ts';
import { idFromKeypad, maskCitizenId } from '../domain/citizen-id.ts';
import { maskPhone } from '../domain/masking.ts';
import type { Logger } from '../logging/logger.ts';
import type { Messenger } from '../messaging/messenger.ts';
import { keyedHash } from '../security/secrets.ts';
import { Semaphore } from '../security/semaphore.ts';
import { turnId, type CallSession, type CallTurn } from '../storage/call-session.repository.ts';
import type { Store } from '../storage/store.ts';
import { renderApology, renderState, SAY_ONLY, type Speech } from '../twiml/call-response.renderer.ts';
import { callActors } from './call-actors.ts';

type CallSnapshot = SnapshotFrom<typeof callMachine>;

/** How long one turn may wait for the flow's side effects before it is treated as failed. */
export const TURN_SETTLE_TIMEOUT_MS = 10_000;

/** The state's name as stored and shown (`enterCode`). */
export function stateName(snapshot: CallSnapshot): string {
  return typeof snapshot.value === 'string' ? snapshot.value : JSON.stringify(snapshot.value);
}

/** The meta of the state the call is in. */
export function currentMeta(snapshot: CallSnapshot): StateMeta {
  const metas = Object.values(snapshot.getMeta() as Record<string, StateMeta | undefined>);
  const meta = metas.reverse().find((m) => m && Array.isArray(m.prompts));
  if (!meta) throw new Error(`state ${stateName(snapshot)} has no prompts`);
  return meta;
}

/** The masked form of keypad input, as the timeline keeps it: PIN and code digits never appear. */
export function maskInput(digits: string, secret: GatherSpec['secret']): string {
  if (digits === '*' || digits === '0' || digits === '#' || digits === '') return digits;
  if (secret === 'pin' || secret === 'code') return '•'.repeat(Math.min(digits.length, 12));
  if (secret === 'id') return maskCitizenId(idFromKeypad(digits));
  return digits;
}

/** Everything a call turn needs from the outside world. */
export interface CallServiceDeps {
  store: Store;
  config: Config;
  logger: Logger;
  messenger: Messenger;
  now?: () => Date;
  /** How many password hashes may run at once (Argon2id is deliberately slow). */
  hashingConcurrency?: number;
  /** Where turns, outcomes, lockouts and database errors are counted. */
  metrics?: HotlineMetrics;
  /** Prompt audio and voices; `<Say>` with the default voices when absent. */
  speech?: Speech;
  /** The call statechart; the real one unless a test passes an altered one. */
  machine?: typeof callMachine;
}

/** Runs one webhook turn of a call: load by CallSid, restore, send one event, settle, persist with a step number, render. */
export class CallTurnService {
  private readonly now: () => Date;
  private readonly hashing: Semaphore;
  private readonly metrics: HotlineMetrics;
  private readonly speech: Speech;

  constructor(private readonly deps: CallServiceDeps) {
    this.now = deps.now ?? (() => new Date());
    this.metrics = deps.metrics ?? new HotlineMetrics({ processMetrics: false });
    this.speech = deps.speech ?? SAY_ONLY;
    this.hashing = new Semaphore(deps.hashingConcurrency ?? 2, () => this.metrics.hashQueued());
  }

  private render(snapshot: CallSnapshot, step: number): string {
    return renderState(currentMeta(snapshot), snapshot.context.notice, {
      language: snapshot.context.language,
      step,
      timeouts: this.deps.config.gatherTimeouts,
      agentNumber: this.deps.config.agentNumber,
      bilingual: !snapshot.context.languageChosen,
      params: promptParams(this.deps.config),
      speech: this.speech,
    });
  }

  private machineFor(session: Pick<CallSession, '_id' | 'callerMasked' | 'callerHash' | 'idMasked'>, step: number, logger: Logger) {
    return (this.deps.machine ?? callMachine).provide({
      actors: callActors({
        store: this.deps.store,
        config: this.deps.config,
        messenger: this.deps.messenger,
        hashing: this.hashing,
        metrics: this.metrics,
        logger,
        callSid: session._id,
        step,
        callerMasked: session.callerMasked,
        callerHash: session.callerHash,
        idMasked: session.idMasked ?? null,
        now: this.now,
      }),
    });
  }

  /** Answers a new call (or a repeated delivery of its first webhook) with the welcome. */
  async startCall(input: { callSid: string; from: string; to: string }): Promise<string> {
    const logger = this.deps.logger.child({ callSid: input.callSid });
    const existing = await this.deps.store.callSessions.find(input.callSid);
    const started = Date.now();
    if (existing) {
      logger.info('call start repeated', { step: existing.step });
      const stored = (await this.deps.store.callSessions.findTurn(input.callSid, 0))?.twiml ?? existing.lastTwiml;
      this.metrics.turn('CALL_START', 'repeated', (Date.now() - started) / 1000);
      return stored;
    }
    const now = this.now();
    const callerMasked = maskPhone(input.from) || 'unknown';
    const digits = input.from.replace(/[^0-9]/g, '');
    const callerHash = keyedHash(this.deps.config.pinPepper, 'caller', digits);
    const actor = createActor(this.machineFor({ _id: input.callSid, callerMasked, callerHash, idMasked: null }, 1, logger), { input: {} });
    actor.start();
    const snapshot = actor.getSnapshot();
    const twiml = this.render(snapshot, 1);
    const persisted = JSON.stringify(actor.getPersistedSnapshot());
    actor.stop();
    const created = await this.deps.store.callSessions.create(
      {
        _id: input.callSid,
        callerMasked,
        callerHash,
        callerLast4: digits.slice(-4),
        to: input.to || null,
        startedAt: now,
      },
      {
        _id: turnId(input.callSid, 0),
        callSid: input.callSid,
        step: 0,
        at: now,
        event: 'CALL_START',
        input: null,
        from: '',
        to: stateName(snapshot),
        path: [stateName(snapshot)],
        prompts: currentMeta(snapshot).prompts,
        durationMs: Date.now() - started,
        twiml,
        snapshot: persisted,
        language: snapshot.context.language,
        outcome: null,
        ended: false,
        idHash: null,
        idMasked: null,
      },
    );
    if (!created) {
      const winner = await this.deps.store.callSessions.find(input.callSid);
      this.metrics.turn('CALL_START', 'repeated', (Date.now() - started) / 1000);
      return winner?.lastTwiml ?? twiml;
    }
    this.metrics.turn('CALL_START', 'advanced', (Date.now() - started) / 1000);
    logger.info('call started', { from: input.from, to: input.to });
    return twiml;
  }

  /** Feeds one event into a call at a given step; a repeated or stale delivery returns the stored answer unchanged. */
  async handleTurn(input: { callSid: string; step: number; event: CallEvent; language?: Language }): Promise<string> {
    const logger = this.deps.logger.child({ callSid: input.callSid });
    const started = Date.now();
    const answer = (twiml: string, result: TurnResult): string => {
      this.metrics.turn(input.event.type, result, (Date.now() - started) / 1000);
      return twiml;
    };
    let session: CallSession | null = null;
    try {
      session = await this.deps.store.callSessions.find(input.callSid);
      if (!session) {
        logger.warn('turn for unknown call', { step: input.step });
        return await this.startCall({ callSid: input.callSid, from: '', to: '' });
      }
      if (session.status === 'ended' || input.step !== session.step) {
        logger.info('turn repeated', { step: input.step, current: session.step, status: session.status });
        const answered = input.step < session.step ? await this.deps.store.callSessions.findTurn(input.callSid, input.step) : null;
        return answer(answered?.twiml ?? session.lastTwiml, 'repeated');
      }
      const { twiml, won } = await this.runTurn(session, input.event, logger);
      return answer(twiml, won ? 'advanced' : 'repeated');
    } catch (error) {
      if (isDatabaseError(error)) this.metrics.databaseError('turn');
      logger.error('turn failed', { step: input.step, state: session?.state, error });
      return answer(renderApology((session?.language as Language | undefined) ?? input.language ?? 'both', this.speech), 'apology');
    }
  }

  private async runTurn(session: CallSession, event: CallEvent, logger: Logger): Promise<{ twiml: string; won: boolean }> {
    const started = Date.now();
    const restored = JSON.parse(session.snapshot) as CallSnapshot;
    const actor = createActor(this.machineFor(session, session.step, logger), { snapshot: restored, input: undefined });
    const before = actor.getSnapshot();
    const from = stateName(before);
    const secret = before.status === 'active' ? currentMeta(before).gather?.secret : undefined;
    const path = [from];
    actor.subscribe((s) => {
      const name = stateName(s);
      if (name !== path[path.length - 1]) path.push(name);
    });
    actor.start();
    let after: CallSnapshot;
    let persisted: { status?: string; children?: Record<string, unknown> };
    try {
      actor.send(event);
      after = await waitFor(actor, (s) => s.status !== 'active' || s.hasTag('input'), { timeout: TURN_SETTLE_TIMEOUT_MS });
      persisted = actor.getPersistedSnapshot() as typeof persisted;
    } finally {
      actor.stop();
    }
    if (after.status === 'error' || persisted.status === 'error') throw new Error(`call flow failed in ${from}`);
    if (persisted.children && Object.keys(persisted.children).length > 0) throw new Error(`call flow settled with a running invocation in ${stateName(after)}`);
    const nextStep = session.step + 1;
    const twiml = this.render(after, nextStep);
    const meta = currentMeta(after);
    const to = stateName(after);
    const turn: CallTurn = {
      _id: turnId(session._id, session.step),
      callSid: session._id,
      step: session.step,
      at: this.now(),
      event: event.type,
      input: event.type === 'DIGITS' ? maskInput(event.digits, secret) : event.type === 'DIAL_RESULT' ? event.status : null,
      from,
      to,
      path,
      prompts: [...after.context.notice, ...meta.prompts],
      durationMs: Date.now() - started,
      twiml,
      snapshot: JSON.stringify(persisted),
      language: after.context.language,
      outcome: after.status === 'done' ? (meta.outcome ?? null) : null,
      ended: after.status === 'done',
      idHash: after.context.idHash,
      idMasked: after.context.idMasked,
    };
    const won = await this.deps.store.callSessions.claimTurn(turn);
    const applied = won ? turn : await this.deps.store.callSessions.findTurn(session._id, session.step);
    if (!applied) throw new Error(`turn ${session.step} vanished after a lost claim`);
    await this.deps.store.callSessions.applyTurn(applied, this.now());
    if (!won) {
      logger.info('turn lost to a concurrent delivery', { step: session.step });
      return { twiml: applied.twiml, won: false };
    }
    if (turn.outcome) this.metrics.outcome(turn.outcome);
    logger.info('turn', { step: session.step, event: event.type, input: turn.input, fromState: from, toState: to, prompts: turn.prompts, durationMs: turn.durationMs });
    if (event.type === 'HANGUP') logger.info('caller hung up', { state: from });
    else if (after.status === 'done') logger.info('call ended by flow', { outcome: meta.outcome, state: to });
    return { twiml, won: true };
  }

  /** Takes Twilio's status callback: a call that ends outside a final state is recorded as abandoned. */
  async handleStatus(input: { callSid: string; callStatus: string; durationSeconds: number | null }): Promise<void> {
    const logger = this.deps.logger.child({ callSid: input.callSid });
    const session = await this.deps.store.callSessions.find(input.callSid);
    if (!session) {
      logger.warn('status for unknown call', { callStatus: input.callStatus });
      return;
    }
    const finished = ['completed', 'busy', 'failed', 'no-answer', 'canceled'].includes(input.callStatus);
    if (!finished) return;
    let current: CallSession | null = session;
    for (let attempt = 0; attempt < 3 && current?.status === 'active'; attempt += 1) {
      try {
        await this.runTurn(current, { type: 'HANGUP' }, logger);
      } catch (error) {
        logger.error('hang-up turn failed', { attempt, error });
      }
      current = await this.deps.store.callSessions.find(input.callSid);
    }
    await this.deps.store.callSessions.recordEnd(input.callSid, input.callStatus, input.durationSeconds, this.now());
    logger.info('call status', { callStatus: input.callStatus, durationSeconds: input.durationSeconds });
  }

  /** Notes, best effort, how a call left the stateless recovery path (agent or goodbye) after a failed turn. */
  async recordRecovery(callSid: string, outcome: 'transferred' | 'goodbye'): Promise<void> {
    this.metrics.outcome(`${outcome}-after-apology`);
    await this.deps.store.callSessions.recordOutcome(callSid, outcome, this.now()).catch((error: unknown) => {
      this.deps.logger.child({ callSid }).warn('recovery not recorded', { outcome, error });
    });
  }

  /** Says whether the agent answered; a busy or unanswered line is recorded so the call does not count as transferred. */
  async recordDialResult(callSid: string, dialCallStatus: string): Promise<{ answered: boolean }> {
    if (dialCallStatus === 'completed' || dialCallStatus === 'answered') return { answered: true };
    const logger = this.deps.logger.child({ callSid });
    await this.deps.store.callSessions.recordAgentUnavailable(callSid, dialCallStatus, this.now()).catch((error: unknown) => {
      logger.warn('dial result not recorded', { dialCallStatus, error });
    });
    logger.info('agent unavailable', { dialCallStatus });
    return { answered: false };
  }

  /** Answers Twilio's fallback request: a live call hears its current prompt again (it resumes on whichever instance took it); otherwise an apology. */
  async resumeCall(callSid: string | null): Promise<string> {
    if (!callSid) return renderApology('both', this.speech);
    const logger = this.deps.logger.child({ callSid });
    try {
      const session = await this.deps.store.callSessions.find(callSid);
      if (session?.status === 'active') {
        logger.warn('call resumed by fallback', { step: session.step, state: session.state });
        return session.lastTwiml;
      }
      return renderApology((session?.language as Language | undefined) ?? 'both', this.speech);
    } catch (error) {
      if (isDatabaseError(error)) this.metrics.databaseError('fallback');
      logger.error('fallback could not load the call', { error });
      return renderApology('both', this.speech);
    }
  }
}
