import { expect } from 'chai';
import supertest from 'supertest';
import { OutboxMessenger } from '../../src/messaging/messenger.ts';
import { keyedHash } from '../../src/security/secrets.ts';
import { Semaphore } from '../../src/security/semaphore.ts';
import { callEffects, type TurnNote } from '../../src/services/call-actors.ts';
import { startTestApp, TestCall, type TestApp } from '../support/test-app.ts';
import { addSupervisor, signIn } from './console-support.ts';

const ZHANG = { id: '310115198503171231', password: '314159' };

describe('an entry refused while the card was locked, as supervisors see it', () => {
  let t: TestApp;
  let cookie: string;
  let refusedCall: TestCall;
  let lockingCall: TestCall;
  const get = (path: string, query: Record<string, string> = {}) => supertest(t.app).get(path).query(query).set('Cookie', cookie);

  /** A call in English to "change a password I know" for Zhang, with these current-password entries, then hung up. */
  const changeCall = async (entries: string[]) => {
    const call = new TestCall(t, '+8613900000002');
    await call.start();
    await call.pressAll(['2', '2', ZHANG.id, ...entries]);
    await call.hangUp();
    return call;
  };

  before(async () => {
    t = await startTestApp('sup-refused');
    await addSupervisor(t);
    cookie = await signIn(t);
    await changeCall(['000001', '000001', '000001']);
    lockingCall = await changeCall(['000001', '000001']);
    t.clock.advance(60_000);
    refusedCall = new TestCall(t, '+8613900000002');
    await refusedCall.start();
    await refusedCall.pressAll(['2', '2', ZHANG.id]);
    const answer = await refusedCall.press(ZHANG.password);
    expect(answer.text, 'the caller hears a wrong entry, never the lock').to.contain('That password was not accepted.');
    await refusedCall.hangUp();
    await t.settle();
  });
  after(() => t.close());

  it('the turn that refused the right password stores a structured note: factor, reason, until when', async () => {
    const turns = await t.store.callSessions.turns(refusedCall.callSid);
    const noted = turns.filter((turn) => turn.notes?.length);
    expect(noted).to.have.length(1);
    expect(noted[0].notes).to.deep.equal([{ kind: 'verification-refused', factor: 'current-password', reason: 'locked', until: new Date('2026-03-01T08:30:00Z') }]);
    expect(noted[0].from).to.equal('enterCurrentPin');
    const end = await t.store.callSessions.findEnd(refusedCall.callSid);
    expect(end?.refused).to.deep.equal({ factor: 'current-password', reason: 'locked', until: new Date('2026-03-01T08:30:00Z') });
    expect((await t.store.callSessions.findEnd(lockingCall.callSid))?.refused, 'the call whose wrong entries locked the card was checked, not refused').to.equal(null);
  });

  it('the outcome filter "refused while locked" finds that call and no other; the list says until when', async () => {
    const res = await get('/api/supervisor/calls', { outcome: 'refused-locked', range: 'today' });
    expect(res.status).to.equal(200);
    expect(res.body.calls.map((c: { callSid: string }) => c.callSid)).to.deep.equal([refusedCall.callSid]);
    expect(res.body.calls[0].refused).to.deep.equal({ reason: 'locked', until: '2026-03-01T08:30:00.000Z' });
    expect(res.body.calls[0].outcome).to.equal('abandoned');
    const page = await get('/supervisor/calls', { outcome: 'refused-locked', range: 'today' });
    expect(page.text).to.contain('拒绝：卡已锁定至 <time datetime="2026-03-01T08:30:00.000Z" title="2026-03-01T08:30:00.000Z">2026-03-01 16:30:00 (UTC+8)</time>');
    const csv = await get('/api/supervisor/calls.csv', { outcome: 'refused-locked', range: 'today' });
    expect(csv.text.trim().split('\r\n')[1]).to.match(/,2026-03-01T08:30:00\.000Z$/);
    const counts = await t.store.callSearch.counts(new Date('2026-03-01T00:00:00Z'), new Date('2026-03-02T00:00:00Z'));
    expect(counts.refusedLocked).to.equal(1);
  });

  it('the timeline says "refused: card locked until …" on the step and in the outcome, in Chinese and English', async () => {
    const api = await get(`/api/supervisor/calls/${refusedCall.callSid}`);
    expect(api.body.refused).to.deep.equal({ factor: 'current-password', reason: 'locked', until: '2026-03-01T08:30:00.000Z' });
    const step = api.body.steps.find((s: { notes: unknown[] }) => s.notes.length > 0);
    expect(step.notes).to.deep.equal([{ kind: 'verification-refused', factor: 'current-password', reason: 'locked', until: '2026-03-01T08:30:00.000Z' }]);
    expect(step.input).to.equal('••••••');

    const zh = await get(`/supervisor/calls/${refusedCall.callSid}`);
    expect(zh.text).to.contain('<div class="note refused" data-reason="locked" data-factor="current-password">');
    expect(zh.text).to.contain('输入的原密码未经核对；来电者听到的与输入错误时相同。');
    expect(zh.text.match(/拒绝：卡已锁定至 <time[^>]*>2026-03-01 16:30:00 \(UTC\+8\)<\/time>/g)).to.have.length(2);
    expect(zh.text).not.to.contain(ZHANG.password);

    await supertest(t.app).post('/api/supervisor/me/language').set('Cookie', cookie).set('Origin', 'https://hotline.test').send({ language: 'en-US' });
    const en = await get(`/supervisor/calls/${refusedCall.callSid}`);
    expect(en.text).to.contain('refused: card locked until <time');
    expect(en.text).to.contain('The current password entered was not checked; the caller heard the same as for a wrong entry.');
    await supertest(t.app).post('/api/supervisor/me/language').set('Cookie', cookie).set('Origin', 'https://hotline.test').send({ language: 'zh-CN' });
  });

  it('a repeated delivery of a refused turn notes what the first delivery noted (whichever stores the turn keeps the reason)', async () => {
    const idHash = keyedHash(t.config.pinPepper, 'citizen-id', ZHANG.id);
    const scope = (notes: TurnNote[]) =>
      callEffects({
        store: t.store,
        config: t.config,
        messenger: new OutboxMessenger(t.store.outbox, t.config.pinPepper),
        hashing: new Semaphore(1),
        logger: t.logger,
        callSid: 'CArepeatedrefusal0000000000000001',
        step: 4,
        callerMasked: '+86 139****0002',
        callerHash: keyedHash(t.config.pinPepper, 'caller', '8613900000002'),
        idMasked: '3101**********1231',
        now: () => t.clock.now,
        note: (fact) => notes.push(fact),
      });
    const first: TurnNote[] = [];
    const repeated: TurnNote[] = [];
    const input = { idHash, citizenId: idHash, pin: ZHANG.password };
    expect(await scope(first).verifyCurrentPin(input)).to.equal('wrong');
    expect(await scope(repeated).verifyCurrentPin(input)).to.equal('wrong');
    expect(first).to.deep.equal([{ kind: 'verification-refused', factor: 'current-password', reason: 'locked', until: new Date('2026-03-01T08:30:00Z') }]);
    expect(repeated).to.deep.equal(first);
  });
});
