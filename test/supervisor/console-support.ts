import supertest from 'supertest';
import type { Role } from '../../src/domain/supervisor-role.policy.ts';
import { keyedHash } from '../../src/security/secrets.ts';
import { SupervisorAuthService } from '../../src/services/supervisor-auth.service.ts';
import type { CallSessionDoc } from '../../src/storage/models.ts';
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

/** Inserts a finished call session straight into the database (for search and aggregate tests with known data). */
export async function insertCall(t: TestApp, fields: Partial<CallSessionDoc> & { from?: string; idNumber?: string }): Promise<string> {
  serial += 1;
  const callSid = fields._id ?? `CA${String(serial).padStart(32, '0')}`;
  const from = fields.from ?? '+8613800138000';
  const digits = from.replace(/[^0-9]/g, '');
  const { from: _from, idNumber, ...rest } = fields;
  const doc: CallSessionDoc = {
    _id: callSid,
    step: 3,
    snapshot: '{}',
    state: 'goodbye',
    status: 'ended',
    outcome: 'goodbye',
    language: 'zh-CN',
    callerMasked: `+86 ${digits.slice(2, 5)}****${digits.slice(-4)}`,
    callerHash: keyedHash(TEST_ENV.PIN_PEPPER, 'caller', digits),
    callerLast4: digits.slice(-4),
    idHash: idNumber ? keyedHash(TEST_ENV.PIN_PEPPER, 'citizen-id', idNumber) : null,
    idMasked: idNumber ? `${idNumber.slice(0, 4)}**********${idNumber.slice(-4)}` : null,
    lastTwiml: '<Response/>',
    startedAt: new Date('2026-03-01T08:00:00Z'),
    updatedAt: new Date('2026-03-01T08:01:00Z'),
    endedAt: new Date('2026-03-01T08:01:00Z'),
    visited: ['welcome', 'mainMenu', 'goodbye'],
    moves: ['welcome>mainMenu', 'mainMenu>goodbye'],
    endedIn: 'goodbye',
    ...rest,
  };
  await t.store.models.CallSession.collection.insertOne(doc as never);
  return callSid;
}
