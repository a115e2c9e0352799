import { createHash } from 'node:crypto';
import { createActor } from 'xstate';
import { callMachine, type StateMeta } from '../flows/call.machine.ts';
import { keyedHash } from '../src/security/secrets.ts';
import { CallRecorder } from '../src/services/call-recorder.service.ts';
import { createLogger } from '../src/logging/logger.ts';
import { storedTurn, turnId, type CallEnd, type CallTurn } from '../src/storage/call-session.repository.ts';
import type { CallIdentityDoc } from '../src/storage/models.ts';
import type { Store } from '../src/storage/store.ts';

/** A journey of the benchmark's history: the states of each turn (turn 0 opens the call), what was pressed, how it ended. */
interface Journey {
  weight: number;
  outcome: string;
  turns: string[][];
  inputs: Array<string | null>;
  id: boolean;
}

const J = (weight: number, outcome: string, id: boolean, turns: string[][], inputs: Array<string | null>): Journey => ({ weight, outcome, id, turns, inputs });

/** The mix of calls a medical-insurance line sees, weighted (resets, changes, abandons, transfers, policy, silence, failures, locks). */
const JOURNEYS: Journey[] = [
  J(30, 'password-changed', true, [['welcome'], ['welcome', 'mainMenu'], ['mainMenu', 'enterId'], ['enterId', 'identifying', 'chooseChannel'], ['chooseChannel', 'sendingCode', 'enterCode'], ['enterCode', 'verifyingCode', 'enterNewPin'], ['enterNewPin', 'screeningNewPin', 'confirmNewPin'], ['confirmNewPin', 'committingNewPin', 'passwordChanged']], [null, '1', '1', 'ID', '1', '••••••', '••••••', '••••••']),
  J(8, 'password-changed', true, [['welcome'], ['welcome', 'mainMenu'], ['mainMenu', 'enterId'], ['enterId', 'identifying', 'enterCurrentPin'], ['enterCurrentPin', 'verifyingCurrentPin', 'enterNewPin'], ['enterNewPin', 'screeningNewPin', 'confirmNewPin'], ['confirmNewPin', 'committingNewPin', 'passwordChanged']], [null, '2', '2', 'ID', '••••••', '••••••', '••••••']),
  J(15, 'abandoned', false, [['welcome'], ['welcome', 'mainMenu'], ['mainMenu', 'abandoned']], [null, '1', null]),
  J(10, 'abandoned', true, [['welcome'], ['welcome', 'mainMenu'], ['mainMenu', 'enterId'], ['enterId', 'identifying', 'chooseChannel'], ['chooseChannel', 'abandoned']], [null, '1', '1', 'ID', null]),
  J(6, 'abandoned', true, [['welcome'], ['welcome', 'mainMenu'], ['mainMenu', 'enterId'], ['enterId', 'identifying', 'chooseChannel'], ['chooseChannel', 'sendingCode', 'enterCode'], ['enterCode', 'abandoned']], [null, '1', '1', 'ID', '1', null]),
  J(10, 'transferred', false, [['welcome'], ['welcome', 'mainMenu'], ['mainMenu', 'agent']], [null, '1', '0']),
  J(8, 'goodbye', false, [['welcome'], ['welcome', 'mainMenu'], ['mainMenu', 'policyMenu'], ['policyMenu', 'policyArticle12'], ['policyArticle12', 'abandoned']], [null, '1', '4', '2', null]),
  J(5, 'no-input', false, [['welcome'], ['welcome', 'mainMenu'], ['mainMenu'], ['mainMenu', 'noInputGoodbye']], [null, '2', null, null]),
  J(4, 'verification-failed', true, [['welcome'], ['welcome', 'mainMenu'], ['mainMenu', 'enterId'], ['enterId', 'identifying', 'enterCurrentPin'], ['enterCurrentPin', 'verifyingCurrentPin', 'enterCurrentPin'], ['enterCurrentPin', 'verifyingCurrentPin', 'enterCurrentPin'], ['enterCurrentPin', 'verifyingCurrentPin', 'verificationFailed']], [null, '1', '2', 'ID', '••••••', '••••••', '••••••']),
  J(2, 'locked', true, [['welcome'], ['welcome', 'mainMenu'], ['mainMenu', 'enterId'], ['enterId', 'identifying', 'enterCurrentPin'], ['enterCurrentPin', 'verifyingCurrentPin', 'cardLocked']], [null, '1', '2', 'ID', '••••••']),
  J(2, 'transferred', false, [['welcome'], ['welcome', 'mainMenu'], ['mainMenu', 'enterId'], ['enterId'], ['enterId'], ['enterId', 'agentAfterTrouble']], [null, '1', '1', '123', '456', '789']),
];
const TOTAL_WEIGHT = JOURNEYS.reduce((sum, j) => sum + j.weight, 0);

/** A persisted snapshot as the real machine writes it (the welcome's, with its real context), to give history turns their real size. */
function realSnapshot(): Record<string, unknown> {
  const actor = createActor(callMachine, { input: {} });
  actor.start();
  const persisted = actor.getPersistedSnapshot() as Record<string, unknown>;
  actor.stop();
  return Object.fromEntries(Object.entries(persisted).filter(([, v]) => v !== undefined));
}

function metaOf(state: string): StateMeta {
  const node = callMachine.getStateNodeById(`call.${state}`);
  return (node.meta as StateMeta | undefined) ?? { prompts: [] };
}

/** A deterministic pseudo-random sequence (the same history every run). */
function randomFrom(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

/** What a fill wrote and how long it took. */
export interface FillResult {
  calls: number;
  turns: number;
  seconds: number;
  /** A sample of calls written (CallSid, start, caller, ID), for the queries the benchmarks time. */
  samples: Array<{ callSid: string; startedAt: Date; phone: string; idNumber: string | null; outcome: string }>;
}

/**
 * Writes `calls` finished calls spread evenly over the `days` before `end`, the way real calls are written: their
 * turns (real snapshot and state meta, masked inputs), their end records, the password-change record of a reset, and — through the real CallRecorder — the
 * call index and hourly counters. Batched (insertMany, the recorder's coalesced writes); nothing a real call would
 * not write. CallSids look like Twilio's (`CA` and 32 hex digits), derived from `prefix` and the call's number, so
 * the history is spread through the `_id` index as real calls are (ids in sequence would sit together at one end
 * of it, out of the way of the calls that follow), and fills with different prefixes can share a database.
 */
export async function fillHistory(store: Store, options: { calls: number; days: number; end: Date; pepper: string; prefix?: string; onProgress?: (done: number) => void }): Promise<FillResult> {
  const started = Date.now();
  const random = randomFrom(42);
  const snapshot = realSnapshot();
  const recorder = new CallRecorder({ store, logger: createLogger({ level: 'warn', format: 'json' }), flushMs: 3_600_000 });
  const span = options.days * 86_400_000;
  const prefix = options.prefix ?? 'CAh';
  const samples: FillResult['samples'] = [];
  let turnsTotal = 0;
  const BATCH = 1000;
  for (let offset = 0; offset < options.calls; offset += BATCH) {
    const turns: CallTurn[] = [];
    const ends: Array<{ end: CallEnd; turns: CallTurn[]; call: CallIdentityDoc }> = [];
    for (let i = offset; i < Math.min(options.calls, offset + BATCH); i += 1) {
      let r = random() * TOTAL_WEIGHT;
      const journey = JOURNEYS.find((j) => (r -= j.weight) < 0) ?? JOURNEYS[0];
      const callSid = `CA${createHash('sha256').update(`${prefix}:${i}`).digest('hex').slice(0, 32)}`;
      const startedAt = new Date(options.end.getTime() - span + Math.floor((i / options.calls) * span) + Math.floor(random() * 1000));
      const phone = `86138${String(Math.floor(random() * 1e8)).padStart(8, '0')}`;
      const idNumber = journey.id ? `1101051990${String(Math.floor(random() * 50_000)).padStart(8, '0')}` : null;
      const language = random() < 0.8 ? 'zh-CN' : 'en-US';
      const idHash = idNumber ? keyedHash(options.pepper, 'citizen-id', idNumber) : null;
      const idMasked = idNumber ? `${idNumber.slice(0, 4)}**********${idNumber.slice(-4)}` : null;
      const call: CallIdentityDoc = { startedAt, callerMasked: `+86 138****${phone.slice(-4)}`, callerHash: keyedHash(options.pepper, 'caller', phone), callerLast4: phone.slice(-4), to: '+8610123456', carrier: 'twilio' };
      const callTurns = journey.turns.map((path, step): CallTurn => {
        const state = path[path.length - 1];
        const last = step === journey.turns.length - 1;
        const input = journey.inputs[step];
        return {
          _id: turnId(callSid, step),
          callSid,
          step,
          at: new Date(startedAt.getTime() + step * 9000),
          event: step === 0 ? 'CALL_START' : input === null ? (last ? 'HANGUP' : 'NO_INPUT') : 'DIGITS',
          input: input === 'ID' ? idMasked : input,
          from: step === 0 ? '' : path[0],
          to: state,
          path,
          prompts: metaOf(state).prompts,
          durationMs: 12,
          snapshot: { ...snapshot, value: state, context: { ...(snapshot.context as object), language, languageChosen: step > 0, idHash: step >= 4 ? idHash : null, idMasked: step >= 4 ? idMasked : null } },
          view: { state, meta: metaOf(state), notice: [], language, bilingual: step === 0 },
          call,
          language,
          outcome: last ? journey.outcome : null,
          ended: last,
          idHash: step >= 4 ? idHash : null,
          idMasked: step >= 4 ? idMasked : null,
          log: [],
        };
      });
      turns.push(...callTurns);
      const lastPath = journey.turns[journey.turns.length - 1];
      const end: CallEnd = {
        _id: callSid,
        startedAt,
        endedAt: new Date(startedAt.getTime() + journey.turns.length * 9000),
        durationSeconds: journey.turns.length * 9,
        outcome: journey.outcome,
        hadTrouble: false,
        endedIn: journey.outcome === 'abandoned' ? lastPath[0] : lastPath[lastPath.length - 1],
        language,
        callerMasked: call.callerMasked,
        callerHash: call.callerHash,
        callerLast4: call.callerLast4,
        idHash,
        idMasked,
        to: call.to,
        carrier: 'twilio',
        carrierStatus: 'completed',
        dialCallStatus: null,
        steps: journey.turns.length,
      };
      ends.push({ end, turns: callTurns, call });
      if (i % Math.max(1, Math.floor(options.calls / 200)) === 0) samples.push({ callSid, startedAt, phone, idNumber, outcome: journey.outcome });
    }
    await store.models.CallTurn.collection.insertMany(turns.map(storedTurn) as never[], { ordered: false });
    await store.models.CallEnd.collection.insertMany(ends.map((e) => e.end) as never[], { ordered: false });
    const changes = ends.filter(({ end }) => end.outcome === 'password-changed' && end.idHash && end.idMasked);
    if (changes.length > 0) {
      await store.models.PasswordChange.collection.insertMany(
        changes.map(({ end }, n) => ({
          _id: end._id,
          citizenId: `citizen-${end.idHash!.slice(0, 12)}`,
          idHash: end.idHash!,
          idMasked: end.idMasked!,
          at: end.endedAt,
          callSid: end._id,
          channel: 'sms',
          callerMasked: end.callerMasked,
          status: 'done' as const,
          callerMatchedMobile: n % 10 !== 0,
        })) as never[],
        { ordered: false },
      );
    }
    for (const { end, turns: callTurns, call } of ends) {
      recorder.callStarted(end._id, call);
      void recorder.callEnded(end, callTurns);
    }
    await recorder.flush();
    turnsTotal += turns.length;
    options.onProgress?.(Math.min(options.calls, offset + BATCH));
  }
  await recorder.close();
  return { calls: options.calls, turns: turnsTotal, seconds: (Date.now() - started) / 1000, samples };
}
