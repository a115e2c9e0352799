import { createActor, waitFor, type SnapshotFrom } from 'xstate';
import { callMachine, type CallEvent, type GatherSpec, type StateMeta } from '../../flows/call.machine.ts';
import type { Language } from '../../prompts/catalogue.ts';
import type { Config } from '../config.ts';
import { idFromKeypad, maskCitizenId } from '../domain/citizen-id.ts';
import { maskPhone } from '../domain/masking.ts';
import type { CallLogCapture, CapturedLine } from '../logging/call-log.transport.ts';
import type { Logger } from '../logging/logger.ts';
import type { Messenger } from '../messaging/messenger.ts';
import { HotlineMetrics, isDatabaseError, type TurnResult } from '../observability/hotline.metrics.ts';
import { keyedHash } from '../security/secrets.ts';
import { Semaphore } from '../security/semaphore.ts';
import { outcomeOf, refusalIn, troubleIn, turnId, type CallEnd, type CallTurn } from '../storage/call-session.repository.ts';
import type { CallIdentityDoc, TurnViewDoc } from '../storage/models.ts';
import type { Store } from '../storage/store.ts';
import { callEffects, effectActors, type CallEffects, type TurnNote, type TurnScope } from './call-actors.ts';
import type { CallRecorder } from './call-recorder.service.ts';

type CallSnapshot = SnapshotFrom<typeof callMachine>;

/** How long the end of a call waits for a password change that is still being saved (two Argon2id hashes queue at most). */
const CHANGE_SETTLE_WAIT_MS = 15_000;

/** How long one turn may wait for the flow's side effects before it is treated as failed. */
export const TURN_SETTLE_TIMEOUT_MS = 10_000;

/** What a carrier adapter renders for a state: its meta, the notice before it, the language (never markup). */
export interface TurnView extends TurnViewDoc {
  meta: StateMeta;
}

/** The answer to a webhook: a state to render, with the step its next gather must carry, or the apology. */
export type TurnAnswer = { kind: 'state'; view: TurnView; step: number } | { kind: 'apology'; language: Language | 'both' };

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

/** What a carrier needs to answer with the state a snapshot is in. */
export function viewOf(snapshot: CallSnapshot): TurnView {
  return {
    state: stateName(snapshot),
    meta: currentMeta(snapshot),
    notice: [...snapshot.context.notice],
    language: snapshot.context.language,
    bilingual: !snapshot.context.languageChosen,
  };
}

/** The masked form of keypad input, as the timeline keeps it: PIN and code digits never appear. */
export function maskInput(digits: string, secret: GatherSpec['secret']): string {
  if (digits === '*' || digits === '0' || digits === '#' || digits === '') return digits;
  if (secret === 'pin' || secret === 'code') return '•'.repeat(Math.min(digits.length, 12));
  if (secret === 'id') return maskCitizenId(idFromKeypad(digits));
  return digits;
}

/** A persisted snapshot as a plain document (no undefined fields: what the database stores is what is restored). */
function plainSnapshot(persisted: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(persisted).filter(([, value]) => value !== undefined));
}

const answerOf = (turn: Pick<CallTurn, 'view' | 'step'>): TurnAnswer => ({ kind: 'state', view: turn.view as TurnView, step: turn.step + 1 });

/** Everything a call turn needs from the outside world. */
export interface CallServiceDeps {
  store: Store;
  config: Config;
  logger: Logger;
  messenger: Messenger;
  now?: () => Date;
  /** How many password hashes may run at once (Argon2id is deliberately slow). */
  hashingConcurrency?: number;
  /** The callers' hashing bound, when the app shares it (it is the console's only through its own, smaller bound). */
  hashing?: Semaphore;
  /** Where turns, outcomes, lockouts and database errors are counted. */
  metrics?: HotlineMetrics;
  /** The call statechart; the real one unless a test passes an altered one. */
  machine?: typeof callMachine;
  /** Keeps the console's index and counters as calls start and end. */
  recorder: CallRecorder;
  /** The log lines of each call, stored with its turns (and what no turn took, with its end or late). */
  logCapture?: CallLogCapture;
}

/**
 * Runs the turns of calls for any carrier: load the turn the call was left at by `CallSid:step`, restore the
 * statechart, send one event, let it settle, claim the step and store the new state with one insert, and return
 * what to render. Two round trips to the database on a menu turn; nothing kept in memory between webhooks.
 */
export class CallTurnService {
  private readonly now: () => Date;
  private readonly hashing: Semaphore;
  private readonly metrics: HotlineMetrics;
  private readonly machine: typeof callMachine;
  /** The side effects of the turn each running actor system belongs to (built when an effect first runs: a menu turn runs none). */
  private readonly effects = new WeakMap<object, { scope: TurnScope; built?: CallEffects }>();

  constructor(private readonly deps: CallServiceDeps) {
    this.now = deps.now ?? (() => new Date());
    this.metrics = deps.metrics ?? new HotlineMetrics({ processMetrics: false });
    this.hashing = deps.hashing ?? new Semaphore(deps.hashingConcurrency ?? 2, () => this.metrics.hashQueued('calls'));
    this.machine = (deps.machine ?? callMachine).provide({
      actors: effectActors((system) => {
        const effects = this.effects.get(system);
        if (!effects) throw new Error('side effect outside a turn');
        effects.built ??= callEffects(effects.scope);
        return effects.built;
      }),
    }) as typeof callMachine;
  }

  /** An actor for one turn of one call, its side effects bound to that call and step; `notes` collects what they note. */
  private actorFor(
    callSid: string,
    step: number,
    call: Pick<CallIdentityDoc, 'callerMasked' | 'callerHash'>,
    idMasked: string | null,
    logger: Logger,
    snapshot?: CallSnapshot,
    notes: TurnNote[] = [],
  ) {
    const actor = snapshot ? createActor(this.machine, { snapshot, input: undefined }) : createActor(this.machine, { input: {} });
    this.effects.set(actor.system, {
      scope: {
        store: this.deps.store,
        config: this.deps.config,
        messenger: this.deps.messenger,
        hashing: this.hashing,
        metrics: this.metrics,
        logger,
        callSid,
        step,
        callerMasked: call.callerMasked,
        callerHash: call.callerHash,
        idMasked,
        now: this.now,
        note: (fact) => notes.push(fact),
      },
    });
    return actor;
  }

  private takeLog(callSid: string): CapturedLine[] {
    return this.deps.logCapture?.take(callSid) ?? [];
  }

  /**
   * Claims a turn with its log lines. On a lost or failed claim the lines logged before the turn's own (`earlier`:
   * what this delivery's side effects did, and lines of earlier deliveries) are given back; the turn's own lines
   * describe a turn that was not taken.
   */
  private async claim(turn: CallTurn, earlier: CapturedLine[]): Promise<boolean> {
    const claimed = await this.deps.store.callSessions.claimTurn(turn).catch((error: unknown) => {
      this.deps.logCapture?.giveBack(turn.callSid, earlier);
      throw error;
    });
    if (!claimed) this.deps.logCapture?.giveBack(turn.callSid, earlier);
    return claimed;
  }

  /** Answers a new call (or a repeated delivery of its first webhook) with the welcome. */
  async startCall(input: { callSid: string; from: string; to: string; carrier: string }): Promise<TurnAnswer> {
    const logger = this.deps.logger.child({ callSid: input.callSid });
    const started = Date.now();
    const now = this.now();
    const digits = input.from.replace(/[^0-9]/g, '');
    const call: CallIdentityDoc = {
      startedAt: now,
      callerMasked: maskPhone(input.from) || 'unknown',
      callerHash: keyedHash(this.deps.config.pinPepper, 'caller', digits),
      callerLast4: digits.slice(-4),
      to: input.to || null,
      carrier: input.carrier,
    };
    const actor = this.actorFor(input.callSid, 0, call, null, logger);
    actor.start();
    const snapshot = actor.getSnapshot();
    const persisted = plainSnapshot(actor.getPersistedSnapshot() as Record<string, unknown>);
    actor.stop();
    const view = viewOf(snapshot);
    const earlier = this.takeLog(input.callSid);
    logger.info('call started', { from: input.from, to: input.to, carrier: input.carrier });
    const log = [...earlier, ...this.takeLog(input.callSid)];
    const opening: CallTurn = {
      _id: turnId(input.callSid, 0),
      callSid: input.callSid,
      step: 0,
      at: now,
      event: 'CALL_START',
      input: null,
      from: '',
      to: view.state,
      path: [view.state],
      prompts: [...view.notice, ...view.meta.prompts],
      durationMs: Date.now() - started,
      snapshot: persisted,
      view,
      call,
      language: view.language,
      outcome: null,
      ended: false,
      idHash: null,
      idMasked: null,
      log,
    };
    if (!(await this.claim(opening, earlier))) {
      const first = await this.deps.store.callSessions.findTurn(input.callSid, 0, { lean: true });
      logger.info('call start repeated');
      this.metrics.turn('CALL_START', 'repeated', (Date.now() - started) / 1000);
      return first ? answerOf(first) : answerOf(opening);
    }
    this.deps.recorder.callStarted(input.callSid, call);
    this.metrics.turn('CALL_START', 'advanced', (Date.now() - started) / 1000);
    return answerOf(opening);
  }

  /** Feeds one event into a call at a given step; a repeated or stale delivery returns the stored answer unchanged. */
  async handleTurn(input: { callSid: string; step: number; event: CallEvent; language?: Language; carrier: string }): Promise<TurnAnswer> {
    const logger = this.deps.logger.child({ callSid: input.callSid });
    const started = Date.now();
    const answer = (result: TurnAnswer, kind: TurnResult): TurnAnswer => {
      this.metrics.turn(input.event.type, kind, (Date.now() - started) / 1000);
      return result;
    };
    let language: Language | undefined = input.language;
    let state: string | undefined;
    try {
      const previous = await this.deps.store.callSessions.findTurn(input.callSid, input.step - 1, { lean: true });
      if (!previous) {
        const latest = input.step > 1 ? await this.deps.store.callSessions.latestTurn(input.callSid) : null;
        if (!latest) {
          logger.warn('turn for unknown call', { step: input.step });
          return await this.startCall({ callSid: input.callSid, from: '', to: '', carrier: input.carrier });
        }
        logger.info('turn repeated', { step: input.step, current: latest.step + 1 });
        return answer(answerOf(latest), 'repeated');
      }
      language = previous.language as Language;
      state = previous.to;
      if (previous.ended) {
        logger.info('turn repeated', { step: input.step, status: 'ended' });
        return answer(answerOf(previous), 'repeated');
      }
      const { result, won } = await this.runTurn(previous, input.event, logger);
      return answer(result, won ? 'advanced' : 'repeated');
    } catch (error) {
      if (isDatabaseError(error)) this.metrics.databaseError('turn');
      logger.error('turn failed', { step: input.step, state, error });
      return answer({ kind: 'apology', language: language ?? 'both' }, 'apology');
    }
  }

  private async runTurn(previous: CallTurn, event: CallEvent, logger: Logger): Promise<{ result: TurnAnswer; won: boolean }> {
    const started = Date.now();
    const callSid = previous.callSid;
    const step = previous.step + 1;
    const notes: TurnNote[] = [];
    const actor = this.actorFor(callSid, step, previous.call, previous.idMasked, logger, previous.snapshot as unknown as CallSnapshot, notes);
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
      // A menu turn settles inside send(); only a turn that waits on a side effect needs the watcher and its timer.
      const settled = (s: CallSnapshot) => s.status !== 'active' || s.hasTag('input');
      const now = actor.getSnapshot();
      after = settled(now) ? now : await waitFor(actor, settled, { timeout: TURN_SETTLE_TIMEOUT_MS });
      persisted = actor.getPersistedSnapshot() as typeof persisted;
    } finally {
      actor.stop();
    }
    if (after.status === 'error' || persisted.status === 'error') throw new Error(`call flow failed in ${from}`);
    if (persisted.children && Object.keys(persisted.children).length > 0) throw new Error(`call flow settled with a running invocation in ${stateName(after)}`);
    const view = viewOf(after);
    const earlier = this.takeLog(callSid);
    const turn: CallTurn = {
      _id: turnId(callSid, step),
      callSid,
      step,
      at: this.now(),
      event: event.type,
      input: event.type === 'DIGITS' ? maskInput(event.digits, secret) : event.type === 'DIAL_RESULT' ? event.status : null,
      from,
      to: view.state,
      path,
      prompts: [...view.notice, ...view.meta.prompts],
      durationMs: Date.now() - started,
      snapshot: plainSnapshot(persisted as Record<string, unknown>),
      view,
      call: previous.call,
      language: view.language,
      outcome: after.status === 'done' ? (view.meta.outcome ?? null) : null,
      ended: after.status === 'done',
      idHash: after.context.idHash,
      idMasked: after.context.idMasked,
      log: earlier,
      ...(notes.length > 0 ? { notes } : {}),
    };
    // The turn's own lines are logged before its claim, so its document stores them: logged after it, they waited
    // for the next turn, and were written apart (a read and an insert) when none came within two seconds — for every
    // call's last turn, and for every turn a caller answered after a longer pause.
    logger.info('turn', { step, event: event.type, input: turn.input, fromState: from, toState: turn.to, prompts: turn.prompts, durationMs: turn.durationMs });
    if (event.type === 'HANGUP') logger.info('caller hung up', { state: from });
    else if (turn.ended) logger.info('call ended by flow', { outcome: turn.outcome, state: turn.to });
    turn.log = [...earlier, ...this.takeLog(callSid)];
    if (!(await this.claim(turn, earlier))) {
      const winner = await this.deps.store.callSessions.findTurn(callSid, step, { lean: true });
      if (!winner) throw new Error(`turn ${step} vanished after a lost claim`);
      logger.info('turn lost to a concurrent delivery', { step });
      return { result: answerOf(winner), won: false };
    }
    if (turn.ended) await this.forgetSecrets(callSid, logger);
    if (turn.outcome) this.metrics.outcome(turn.outcome);
    return { result: answerOf(turn), won: true };
  }

  /** Takes the carrier's final call status: a call that ends outside a final state is abandoned; the end is recorded once. */
  async handleStatus(input: { callSid: string; callStatus: string; durationSeconds: number | null }): Promise<void> {
    const logger = this.deps.logger.child({ callSid: input.callSid });
    const finished = ['completed', 'busy', 'failed', 'no-answer', 'canceled'].includes(input.callStatus);
    const latest = await this.deps.store.callSessions.latestTurn(input.callSid);
    if (!latest) {
      logger.warn('status for unknown call', { callStatus: input.callStatus });
      return;
    }
    if (!finished) return;
    logger.info('call status', { callStatus: input.callStatus, durationSeconds: input.durationSeconds });
    await this.endCall(latest, { carrierStatus: input.callStatus, durationSeconds: input.durationSeconds }, logger);
  }

  /**
   * Closes a call whose carrier never reported its end (found by the sweep of silent calls, housekeeping.service.ts):
   * as a hang-up where it stands, recorded once like any other end.
   */
  async closeSilentCall(callSid: string): Promise<CallEnd | null> {
    const logger = this.deps.logger.child({ callSid });
    const latest = await this.deps.store.callSessions.latestTurn(callSid);
    if (!latest) return null;
    logger.warn('call closed after silence', { state: latest.to, lastTurnAt: latest.at.toISOString() });
    return this.endCall(latest, { carrierStatus: null, durationSeconds: null }, logger);
  }

  /** A hang-up turn where the call stands (if the flow has not ended it), its secrets forgotten, its end recorded. */
  private async endCall(latest: CallTurn, status: { carrierStatus: string | null; durationSeconds: number | null }, logger: Logger): Promise<CallEnd | null> {
    let current: CallTurn | null = latest;
    for (let attempt = 0; attempt < 3 && current && !current.ended; attempt += 1) {
      try {
        await this.runTurn(current, { type: 'HANGUP' }, logger);
      } catch (error) {
        logger.error('hang-up turn failed', { attempt, error });
      }
      current = await this.deps.store.callSessions.latestTurn(latest.callSid);
    }
    await this.forgetSecrets(latest.callSid, logger);
    return this.finishCall(latest.callSid, status);
  }

  /** Records how a call ended (once, whoever gets there first) and adds it to the console's index and counters. */
  async finishCall(callSid: string, status: { carrierStatus: string | null; durationSeconds: number | null }): Promise<CallEnd | null> {
    const { callSessions, passwordChanges } = this.deps.store;
    const [turns, facts, change] = await Promise.all([callSessions.turns(callSid), callSessions.facts(callSid), passwordChanges.findByCall(callSid)]);
    const latest = turns[turns.length - 1];
    if (!latest) return null;
    // A hang-up can race the confirmation: the outcome follows what was done, so a change still being saved is waited for.
    const changed = change?.status === 'pending' ? await passwordChanges.waitUntilSettled(callSid, CHANGE_SETTLE_WAIT_MS) : change?.status;
    const endedAt = this.now();
    let outcome = outcomeOf(latest, facts) ?? 'abandoned';
    if (changed === 'done') outcome = 'password-changed';
    const end: CallEnd = {
      _id: callSid,
      startedAt: latest.call.startedAt,
      endedAt,
      durationSeconds: status.durationSeconds ?? Math.round((endedAt.getTime() - latest.call.startedAt.getTime()) / 1000),
      outcome,
      hadTrouble: troubleIn(turns) || facts.recovery !== null,
      endedIn: latest.ended && latest.event !== 'HANGUP' ? latest.to : latest.from || latest.to,
      language: latest.language,
      callerMasked: latest.call.callerMasked,
      callerHash: latest.call.callerHash,
      callerLast4: latest.call.callerLast4,
      idHash: latest.idHash,
      idMasked: latest.idMasked,
      to: latest.call.to,
      carrier: latest.call.carrier,
      carrierStatus: status.carrierStatus,
      dialCallStatus: facts.dial?.value ?? null,
      steps: turns.length,
      refused: refusalIn(turns),
    };
    if (!(await callSessions.claimEnd(end))) return null;
    // Lines no turn took (the carrier's status of a call the flow had ended) are stored with the end: the call exists,
    // so no read first, and its timeline is whole once the status callback is answered.
    const rest = this.takeLog(callSid);
    if (rest.length > 0) await this.deps.store.callLogs.appendLate(callSid, rest).catch(() => this.deps.logCapture?.giveBack(callSid, rest));
    await this.deps.recorder.callEnded(end, turns);
    return end;
  }

  /** Forgets the secrets a call held (its random key, the first new-PIN entry) once it has ended; logged, never thrown. */
  private async forgetSecrets(callSid: string, logger: Logger): Promise<void> {
    await this.deps.store.callSecrets.forget(callSid).catch((error: unknown) => {
      logger.error('call secrets not forgotten', { error });
    });
  }

  /** Notes, best effort, how a call left the stateless recovery path (agent or goodbye) after a failed turn. */
  async recordRecovery(callSid: string, outcome: 'transferred' | 'goodbye'): Promise<void> {
    this.metrics.outcome(`${outcome}-after-apology`);
    await this.deps.store.callSessions.recordFact({ callSid, kind: 'recovery', at: this.now(), value: outcome }).catch((error: unknown) => {
      this.deps.logger.child({ callSid }).warn('recovery not recorded', { outcome, error });
    });
  }

  /** Says whether the agent answered; a busy or unanswered line is recorded so the call does not count as transferred. */
  async recordDialResult(callSid: string, dialCallStatus: string): Promise<{ answered: boolean }> {
    if (dialCallStatus === 'completed' || dialCallStatus === 'answered') return { answered: true };
    const logger = this.deps.logger.child({ callSid });
    await this.deps.store.callSessions.recordFact({ callSid, kind: 'dial', at: this.now(), value: dialCallStatus }).catch((error: unknown) => {
      logger.warn('dial result not recorded', { dialCallStatus, error });
    });
    logger.info('agent unavailable', { dialCallStatus });
    return { answered: false };
  }

  /** Answers the carrier's fallback request: a live call hears its current prompt again (on whichever instance took it); otherwise an apology. */
  async resumeCall(callSid: string | null): Promise<TurnAnswer> {
    if (!callSid) return { kind: 'apology', language: 'both' };
    const logger = this.deps.logger.child({ callSid });
    try {
      const latest = await this.deps.store.callSessions.latestTurn(callSid);
      if (latest && !latest.ended) {
        logger.warn('call resumed by fallback', { step: latest.step + 1, state: latest.to });
        return answerOf(latest);
      }
      return { kind: 'apology', language: (latest?.language as Language | undefined) ?? 'both' };
    } catch (error) {
      if (isDatabaseError(error)) this.metrics.databaseError('fallback');
      logger.error('fallback could not load the call', { error });
      return { kind: 'apology', language: 'both' };
    }
  }
}
