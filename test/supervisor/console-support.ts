import supertest from 'supertest';
import type { Role } from '../../src/domain/supervisor-role.policy.ts';
import { keyedHash } from '../../src/security/secrets.ts';
import { SupervisorAuthService } from '../../src/services/supervisor-auth.service.ts';
import { turnId, type CallEnd, type CallTurn } from '../../src/storage/call-session.repository.ts';
import type { CallIdentityDoc } from '../../src/storage/models.ts';
import type { AccessLogEntry } from '../../src/storage/supervisor.repository.ts';
import { TEST_ENV, type TestApp } from '../support/test-app.ts';

/** The Origin the console's POSTs must carry in tests (the test app's public URL). */
export const ORIGIN = TEST_ENV.PUBLIC_BASE_URL;

/** Creates a supervisor account directly through the service (as the CLI does), with a role (default `supervisor`). */
export async function addSupervisor(t: TestApp, username = 'alice', password = 'correct horse battery', role?: Role): Promise<void> {
  await new SupervisorAuthService({ store: t.store, config: t.config, logger: t.logger, now: () => t.clock.now }).addSupervisor(username, password, { role });
}

/** Access-log entries (newest first) from the 3 days up to a day after the test clock, optionally only those matching. */
export async function accessLogEntries(t: TestApp, match: { supervisor?: string; what?: string; callSid?: string } = {}): Promise<AccessLogEntry[]> {
  const at = t.clock.now.getTime();
  const read = await t.store.supervisors.accessLog({ from: new Date(at - 3 * 86_400_000), to: new Date(at + 86_400_000), limit: 1000, maxScan: 100_000, match });
  return read.entries;
}

/** Signs in through the login form and returns the session cookie (`name=value`). */
export async function signIn(t: TestApp, username = 'alice', password = 'correct horse battery'): Promise<string> {
  const res = await supertest(t.app).post('/supervisor/login').type('form').set('Origin', ORIGIN).send({ username, password });
  if (res.status !== 303) throw new Error(`login answered ${res.status}`);
  const cookie = (res.headers['set-cookie'] as unknown as string[])[0];
  return cookie.split(';')[0];
}

let serial = 0;

/** What a finished call inserted for a console test is made of (everything optional). */
export interface FinishedCall {
  _id?: string;
  from?: string;
  idNumber?: string;
  startedAt?: Date;
  endedAt?: Date;
  outcome?: string;
  language?: string;
  endedIn?: string;
  hadTrouble?: boolean;
  /** The states the call went through (its two turns: the welcome, then the rest). */
  path?: string[];
}

/**
 * Writes a finished call the way a real one is written — its turns, its end record, then the recorder's index and
 * counters — without running the flow (search and count tests with known data).
 */
export async function insertCall(t: TestApp, fields: FinishedCall): Promise<string> {
  serial += 1;
  const callSid = fields._id ?? `CA${String(serial).padStart(32, '0')}`;
  const from = fields.from ?? '+8613800138000';
  const digits = from.replace(/[^0-9]/g, '');
  const startedAt = fields.startedAt ?? new Date('2026-03-01T08:00:00Z');
  const endedAt = fields.endedAt ?? new Date(startedAt.getTime() + 60_000);
  const outcome = fields.outcome ?? 'goodbye';
  const endedIn = fields.endedIn ?? 'goodbye';
  const language = fields.language ?? 'zh-CN';
  const idHash = fields.idNumber ? keyedHash(TEST_ENV.PIN_PEPPER, 'citizen-id', fields.idNumber) : null;
  const idMasked = fields.idNumber ? `${fields.idNumber.slice(0, 4)}**********${fields.idNumber.slice(-4)}` : null;
  const path = fields.path ?? ['welcome', 'mainMenu', ...(fields.hadTrouble ? ['trouble'] : []), endedIn];
  const call: CallIdentityDoc = {
    startedAt,
    callerMasked: `+86 ${digits.slice(2, 5)}****${digits.slice(-4)}`,
    callerHash: keyedHash(TEST_ENV.PIN_PEPPER, 'caller', digits),
    callerLast4: digits.slice(-4),
    to: null,
    carrier: 'twilio',
  };
  const turn = (step: number, statePath: string[], at: Date, ended: boolean): CallTurn => ({
    _id: turnId(callSid, step),
    callSid,
    step,
    at,
    event: step === 0 ? 'CALL_START' : 'DIGITS',
    input: step === 0 ? null : '1',
    from: step === 0 ? '' : statePath[0],
    to: statePath[statePath.length - 1],
    path: statePath,
    prompts: [],
    durationMs: 3,
    snapshot: {},
    view: { state: statePath[statePath.length - 1], meta: { prompts: [] }, notice: [], language, bilingual: false },
    call,
    language,
    outcome: ended ? outcome : null,
    ended,
    idHash,
    idMasked,
    log: [],
  });
  const turns = [turn(0, [path[0]], startedAt, false), turn(1, path, endedAt, true)];
  for (const each of turns) await t.store.callSessions.claimTurn(each);
  t.recorder.callStarted(callSid, call);
  const end: CallEnd = {
    _id: callSid,
    startedAt,
    endedAt,
    durationSeconds: Math.round((endedAt.getTime() - startedAt.getTime()) / 1000),
    outcome,
    hadTrouble: fields.hadTrouble ?? false,
    endedIn,
    language,
    callerMasked: call.callerMasked,
    callerHash: call.callerHash,
    callerLast4: call.callerLast4,
    idHash,
    idMasked,
    to: null,
    carrier: 'twilio',
    carrierStatus: 'completed',
    dialCallStatus: null,
    steps: 2,
  };
  await t.store.callSessions.claimEnd(end);
  await t.recorder.callEnded(end, turns);
  return callSid;
}

/** Every stored log line of a call: those folded into its turns and those stored late. */
export async function callLogLines(t: TestApp, callSid: string): Promise<Array<{ message: string }>> {
  const [turns, late] = await Promise.all([t.store.callSessions.turns(callSid), t.store.callLogs.late(callSid)]);
  return [...turns.flatMap((turn) => turn.log), ...late];
}
