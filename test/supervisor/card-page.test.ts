import { expect } from 'chai';
import supertest from 'supertest';
import { keyedHash, sealCardRef } from '../../src/security/secrets.ts';
import { latestCode, startTestApp, TestCall, type TestApp } from '../support/test-app.ts';
import { accessLogEntries, addSupervisor, insertCall, ORIGIN, signIn } from './console-support.ts';

const WANG = { id: '11010519491231002X', keys: '11010519491231002*', mobile: '+8613800138000' };
const ZHANG = { id: '310115198503171231', password: '314159' };

describe('the card page: a card\'s side of the story, and the admin\'s unlock', () => {
  let t: TestApp;
  const cookies: Record<string, string> = {};
  const get = (who: string, path: string, query: Record<string, string> = {}) => supertest(t.app).get(path).query(query).set('Cookie', cookies[who]);
  const post = (who: string, path: string) => supertest(t.app).post(path).set('Cookie', cookies[who]).set('Origin', ORIGIN);
  let lockingCall: TestCall;
  let fromMobile: TestCall;
  let fromElsewhere: TestCall;
  let zhangRef: string;

  /** A call in English to "change a password I know" for Zhang with these current-password entries, hung up after. */
  const zhangCall = async (entries: string[]) => {
    const call = new TestCall(t, '+8613900000002');
    await call.start();
    await call.pressAll(['2', '2', ZHANG.id, ...entries]);
    await call.hangUp();
    return call;
  };

  /** Wang resets the password with a code by SMS, calling from a number. */
  const wangReset = async (from: string, pin: string) => {
    const call = new TestCall(t, from);
    await call.start();
    await call.pressAll(['2', '1', WANG.keys, '1']);
    await call.press((await latestCode(t, WANG.mobile)) as string);
    await call.pressAll([pin, pin]);
    expect(call.last.text).to.contain('Your password is set');
    await call.hangUp();
    return call;
  };

  before(async () => {
    t = await startTestApp('sup-card');
    await addSupervisor(t, 'alice');
    await addSupervisor(t, 'audrey', 'correct horse battery', 'auditor');
    await addSupervisor(t, 'adam', 'correct horse battery', 'admin');
    for (const who of ['alice', 'audrey', 'adam']) cookies[who] = await signIn(t, who);
    await zhangCall(['000001', '000001', '000001']);
    lockingCall = await zhangCall(['000001', '000001']);
    fromMobile = await wangReset(WANG.mobile, '258036');
    t.clock.advance(60_000);
    fromElsewhere = await wangReset('+8613100007777', '473920');
    zhangRef = sealCardRef(t.config.pinPepper, keyedHash(t.config.pinPepper, 'citizen-id', ZHANG.id));
    await t.settle();
  });
  after(() => t.close());

  it('a full ID number opens the card (page redirect and API): password set, the lock in force with its failures against the limits, the lock history, every call', async () => {
    const page = await get('alice', '/supervisor/cards', { id: ZHANG.id });
    expect(page.status).to.equal(303);
    expect(page.headers.location).to.equal(`/supervisor/cards/${zhangRef}`);
    const api = await get('alice', '/api/supervisor/cards', { id: ZHANG.id });
    expect(api.status).to.equal(200);
    const card = api.body.card;
    expect(card).to.include({ ref: zhangRef, idMasked: '3101**********1231', registered: true, lockedUntil: '2026-03-01T08:30:00.000Z' });
    expect(card.password).to.deep.equal({ set: true, setAt: null });
    expect(card.contacts).to.deep.equal({ mobile: '+86 137****1111', email: 'z***@example.com' });
    const password = card.factors.find((f: { factor: string }) => f.factor === 'current-password');
    expect(password).to.deep.include({ failuresInRun: 5, failuresToday: 5, dailyCapUntil: null });
    expect(password.lock).to.deep.equal({ factor: 'current-password', at: '2026-03-01T08:00:00.000Z', until: '2026-03-01T08:30:00.000Z', callSid: lockingCall.callSid, unlock: null });
    expect(card.factors.find((f: { factor: string }) => f.factor === 'code')).to.deep.include({ lock: null, failuresInRun: 0, failuresToday: 0 });
    expect(card.limits).to.deep.equal({ afterFailures: 5, maxFailuresPerDay: 20, codeMaxEntries: 5 });
    expect(card.locks).to.have.length(1);
    expect(card.calls).to.have.length(2);
    expect(card.calls.every((c: { idMasked: string }) => c.idMasked === '3101**********1231')).to.equal(true);
    const idHash = keyedHash(t.config.pinPepper, 'citizen-id', ZHANG.id);
    expect(JSON.stringify(api.body)).not.to.contain(idHash).and.not.to.contain(idHash.slice(0, 16)).and.not.to.contain(ZHANG.id);

    const html = (await get('alice', `/supervisor/cards/${zhangRef}`)).text;
    expect(html).to.contain('<span class="mono">3101**********1231</span>');
    expect(html).to.contain('锁定至 <time datetime="2026-03-01T08:30:00.000Z"');
    expect(html).to.match(/<td class="num">5 \/ 5<\/td><td class="num">5 \/ 20<\/td>/);
    expect(html).to.contain('只有管理员可以提前解除锁定').and.not.to.contain('<form class="unlock"');
    expect(html).not.to.contain(ZHANG.id).and.not.to.contain(idHash);
  });

  it('from any call, the call\'s card: the list links the masked ID and the call page links the card', async () => {
    const redirect = await get('alice', `/supervisor/calls/${lockingCall.callSid}/card`);
    expect(redirect.status).to.equal(303);
    expect(redirect.headers.location).to.equal(`/supervisor/cards/${zhangRef}`);
    const api = await get('alice', `/api/supervisor/calls/${lockingCall.callSid}/card`);
    expect(api.body.card.ref).to.equal(zhangRef);
    expect((await get('alice', `/supervisor/calls/${lockingCall.callSid}`)).text).to.contain(`<a class="card-link" href="/supervisor/calls/${lockingCall.callSid}/card">`);
    expect((await get('alice', '/supervisor/calls', { range: 'today' })).text).to.contain(`href="/supervisor/calls/${lockingCall.callSid}/card"`);
    const noCard = new TestCall(t, '+8613100005555');
    await noCard.start();
    await noCard.hangUp();
    expect((await get('alice', `/api/supervisor/calls/${noCard.callSid}/card`)).status).to.equal(404);
    expect((await get('alice', `/supervisor/cards/${zhangRef.slice(0, 79)}A`)).status).to.equal(404);
  });

  it('codes sent (time, channel, masked address, used or void, entries) and every password change, saying whether the caller was the registered mobile', async () => {
    const card = (await get('alice', '/api/supervisor/cards', { id: WANG.id })).body.card;
    expect(card.password.set).to.equal(true);
    expect(card.password.setAt).to.equal(t.clock.now.toISOString());
    expect(card.codes).to.have.length(2);
    expect(card.codes[0]).to.deep.include({ channel: 'sms', toMasked: '+86 138****8000', status: 'used', entries: 1, callSid: fromElsewhere.callSid });
    expect(card.codes[1]).to.deep.include({ channel: 'sms', toMasked: '+86 138****8000', status: 'used', callSid: fromMobile.callSid });
    expect(JSON.stringify(card.codes)).not.to.match(/codeHash|idHash/);
    expect(card.passwordChanges.map((p: { callSid: string; callerMatchedMobile: boolean; callerMasked: string }) => [p.callSid, p.callerMasked, p.callerMatchedMobile])).to.deep.equal([
      [fromElsewhere.callSid, '+86 131****7777', false],
      [fromMobile.callSid, '+86 138****8000', true],
    ]);
    const html = (await get('alice', `/supervisor/cards/${card.ref}`)).text;
    expect(html).to.contain('不一致（来电号码不是登记手机）').and.contain('一致（来电号码即登记手机）');
    expect(html).to.contain('<td class="mono">+86 138****8000</td>');
    const call = (await get('alice', `/supervisor/calls/${fromElsewhere.callSid}`)).text;
    expect(call).to.contain('+86 131****7777 · <span class="caller-match no">不一致（来电号码不是登记手机）</span>');
    const api = await get('alice', `/api/supervisor/calls/${fromMobile.callSid}`);
    expect(api.body.passwordChange).to.include({ callerMatchedMobile: true, channel: 'sms' });
  });

  it('a masked ID lists the cards that called under it (by _id access) and never guesses one; a full number is required for a card that never called', async () => {
    await insertCall(t, { idNumber: '110101199001010017', startedAt: new Date('2026-03-01T07:00:00Z') });
    await insertCall(t, { idNumber: '110101198001010017', startedAt: new Date('2026-03-01T07:10:00Z') });
    await insertCall(t, { idNumber: '110101198001010017', startedAt: new Date('2026-03-01T07:20:00Z') });
    const res = await get('alice', '/api/supervisor/cards', { id: '1101**********0017' });
    expect(res.body.kind).to.equal('matches');
    expect(res.body.matches.map((m: { calls: number; lastCall: { startedAt: string } }) => [m.calls, m.lastCall.startedAt])).to.deep.equal([
      [2, '2026-03-01T07:20:00.000Z'],
      [1, '2026-03-01T07:00:00.000Z'],
    ]);
    const refs = res.body.matches.map((m: { ref: string }) => m.ref);
    expect(refs[0]).to.equal(sealCardRef(t.config.pinPepper, keyedHash(t.config.pinPepper, 'citizen-id', '110101198001010017')));
    const page = await get('alice', '/supervisor/cards', { id: '1101**********0017' });
    expect(page.status).to.equal(200);
    expect(page.text).to.contain(`href="/supervisor/cards/${refs[1]}"`);
    const none = await get('alice', '/supervisor/cards', { id: '4400**********0000' });
    expect(none.text).to.contain('最近 90 天没有这个掩码号码的来电；请输入完整身份证号。');
    expect((await get('alice', '/api/supervisor/cards', { id: '12345' })).status).to.equal(400);
    const searches = await accessLogEntries(t, { supervisor: 'alice', what: 'search' });
    expect(searches.map((e) => e.subject)).to.include.members(['ID 1101**********0017', 'ID 4400**********0000', 'ID 3101**********1231']);
    expect(JSON.stringify(searches)).not.to.contain(ZHANG.id);
  });

  it('reads a card by _id only: every find of the card page is a look-up of one string _id (no filter, count or aggregate)', async () => {
    const reads: Array<{ collection: string; method: string; filter: unknown }> = [];
    const connection = t.store.console.models.Citizen.db;
    connection.set('debug', (collection: string, method: string, filter: unknown) => {
      if (/^(find|count|aggregate|distinct)/i.test(method)) reads.push({ collection, method, filter });
    });
    try {
      const res = await get('alice', `/api/supervisor/cards/${sealCardRef(t.config.pinPepper, keyedHash(t.config.pinPepper, 'citizen-id', WANG.id))}`);
      expect(res.status).to.equal(200);
      expect(await supertest(t.app).get('/api/supervisor/cards').query({ id: '1101**********0017' }).set('Cookie', cookies.alice)).to.have.property('status', 200);
    } finally {
      connection.set('debug', false);
    }
    const cardReads = reads.filter((r) => r.collection !== 'supervisor_sessions');
    expect(cardReads.length).to.be.greaterThan(20);
    for (const read of cardReads) {
      expect(read.method, read.collection).to.match(/^find(One)?$/);
      expect(read.filter, `${read.collection} ${JSON.stringify(read.filter)}`).to.have.all.keys('_id').and.satisfy((f: { _id: unknown }) => typeof f._id === 'string');
    }
    expect(new Set(cardReads.map((r) => r.collection))).to.include.members(['citizens', 'card_locks', 'verification_slots', 'one_time_codes', 'call_index', 'password_changes', 'call_ends']);
  });

  it('card views are recorded in the access log like call views, masked', async () => {
    const views = await accessLogEntries(t, { what: 'view-card' });
    expect(views.length).to.be.greaterThan(3);
    expect(views.map((e) => `${e.supervisor} ${e.how} ${e.subject}`)).to.include.members(['alice page ID 3101**********1231', 'alice api ID 3101**********1231', 'alice api ID 1101**********002X']);
  });

  it('only an admin may unlock: a supervisor and an auditor get 403, a reason is mandatory', async () => {
    for (const who of ['alice', 'audrey']) {
      const api = await post(who, `/api/supervisor/cards/${zhangRef}/unlock`).send({ reason: 'holder called the desk' });
      expect(api.status, who).to.equal(403);
      expect(api.body.message).to.contain('the admin role');
      expect((await post(who, `/supervisor/cards/${zhangRef}/unlock`).type('form').send({ reason: 'holder called the desk' })).status, who).to.equal(403);
    }
    const noReason = await post('adam', `/api/supervisor/cards/${zhangRef}/unlock`).send({ reason: ' ' });
    expect(noReason.status).to.equal(400);
    expect(noReason.body.message).to.match(/^reason: a reason is required/);
    expect((await post('adam', `/api/supervisor/cards/${zhangRef}/unlock`).send({})).status).to.equal(400);
    expect((await supertest(t.app).post(`/api/supervisor/cards/${zhangRef}/unlock`).set('Cookie', cookies.adam).set('Origin', 'https://evil.example').send({ reason: 'x y z' })).status).to.equal(403);
    expect((await get('alice', `/api/supervisor/cards/${zhangRef}`)).body.card.lockedUntil).to.equal('2026-03-01T08:30:00.000Z');
    expect(await accessLogEntries(t, { what: 'unlock-card' })).to.deep.equal([]);
  });

  it('lock → unlock → verify: the admin lifts the lock with a reason (recorded, masked), the history keeps the lock, and the right password then verifies', async () => {
    const before = new TestCall(t, '+8613900000002');
    await before.start();
    await before.pressAll(['2', '2', ZHANG.id]);
    expect((await before.press(ZHANG.password)).text, 'still locked').to.contain('That password was not accepted.');
    await before.hangUp();

    const page = (await get('adam', `/supervisor/cards/${zhangRef}`)).text;
    expect(page).to.contain(`<form class="unlock" method="post" action="/supervisor/cards/${zhangRef}/unlock">`);
    const done = await post('adam', `/supervisor/cards/${zhangRef}/unlock`).type('form').send({ reason: 'Holder at the counter with ID; call back on 13912345678' });
    expect(done.status).to.equal(303);
    expect(done.headers.location).to.equal(`/supervisor/cards/${zhangRef}?unlocked=1`);
    const after = (await get('adam', done.headers.location)).text;
    expect(after).to.contain('已解除锁定，并已记入访问日志。');
    const card = (await get('adam', `/api/supervisor/cards/${zhangRef}`)).body.card;
    expect(card.lockedUntil).to.equal(null);
    expect(card.factors.find((f: { factor: string }) => f.factor === 'current-password')).to.deep.include({ lock: null, failuresInRun: 0, failuresToday: 5 });
    expect(card.locks).to.have.length(1);
    expect(card.locks[0].until).to.equal('2026-03-01T08:30:00.000Z');
    expect(card.locks[0].unlock).to.deep.equal({ at: t.clock.now.toISOString(), by: 'adam', reason: 'Holder at the counter with ID; call back on 139****5678' });
    const entry = (await accessLogEntries(t, { what: 'unlock-card' }))[0];
    expect(entry).to.include({ supervisor: 'adam', role: 'admin', how: 'page', subject: 'ID 3101**********1231' });
    expect(entry.detail).to.equal('lifted current-password until 2026-03-01T08:30:00.000Z; reason: Holder at the counter with ID; call back on 139****5678');

    const verified = new TestCall(t, '+8613900000002');
    await verified.start();
    await verified.pressAll(['2', '2', ZHANG.id]);
    expect((await verified.press(ZHANG.password)).text).to.contain('You are verified');
    const again = await post('adam', `/api/supervisor/cards/${zhangRef}/unlock`).send({ reason: 'twice' });
    expect(again.status).to.equal(409);
    expect(again.body.error).to.equal('not-locked');
  });

  it('after an unlock, failures count afresh: five more wrong passwords lock the card again, and both locks stay in the history', async () => {
    await zhangCall(['000001', '000001', '000001']);
    await zhangCall(['000001', '000001']);
    const card = (await get('alice', `/api/supervisor/cards/${zhangRef}`)).body.card;
    expect(card.lockedUntil).to.equal(new Date(t.clock.now.getTime() + 30 * 60_000).toISOString());
    expect(card.factors.find((f: { factor: string }) => f.factor === 'current-password')).to.deep.include({ failuresInRun: 5, failuresToday: 10 });
    expect(card.locks.map((l: { unlock: unknown }) => l.unlock !== null)).to.deep.equal([false, true]);
  });
});
