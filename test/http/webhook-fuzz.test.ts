import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import supertest from 'supertest';
import { signedPost, startTestApp, TestCall, twilioSignature, type TestApp } from '../support/test-app.ts';
import { parseTwiml } from '../support/twiml.ts';
import { turnFromStored, turnId } from '../../src/storage/call-session.repository.ts';

/** A small deterministic generator so a failing case can be replayed from its seed. */
function generator(seed: number) {
  let state = seed >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
  return { next, pick };
}

const NASTY = ['', ' ', '#', '*', '0', '1'.repeat(64), '9'.repeat(65), 'abc', '１２３', '😀', '\u0000', '%00', '<Say>x</Say>', '"\'&<>', 'CA'.padEnd(2000, 'f'), '-1', '1e9', 'null', '[object Object]'];
const PATHS = ['/voice', '/voice/gather?step=1', '/voice/gather?step=2&lang=en-US', '/voice/gather?step=0', '/voice/gather?step=x', '/voice/status', '/voice/fallback', '/voice/recover?lang=xx', '/voice/dial-done?lang=en-US', '/voice/dial-done?step=1&lang=en-US', '/voice/dial-done?step=x'];
const KEYS = ['CallSid', 'Digits', 'FinishedOnKey', 'From', 'To', 'CallStatus', 'CallDuration', 'DialCallStatus', 'Caller', '__proto__', 'constructor', 'Digits[]'];

describe('webhook fuzzing with hostile bodies', function () {
  this.timeout(120_000);
  let t: TestApp;
  let live: TestCall;
  before(async () => {
    t = await startTestApp('fuzz');
    live = new TestCall(t);
    await live.start();
  });
  after(async () => t.close());

  it('answers 400 concurrent random signed and unsigned requests with 2xx TwiML or 4xx, never a crash or a corrupt call', async () => {
    const random = generator(20261124);
    const statuses = new Map<number, number>();
    for (let batch = 0; batch < 20; batch += 1) {
      await Promise.all(
        Array.from({ length: 20 }, async () => {
          const path = random.pick(PATHS);
          const params: Record<string, string> = {};
          const fields = Math.floor(random.next() * 6);
          for (let i = 0; i < fields; i += 1) params[random.pick(KEYS)] = random.next() < 0.5 ? random.pick(NASTY) : randomBytes(8).toString('hex');
          if (random.next() < 0.4) params.CallSid = random.next() < 0.5 ? live.callSid : `CA${randomBytes(16).toString('hex')}`;
          const mode = random.pick(['signed', 'unsigned', 'json', 'garbage'] as const);
          let res;
          if (mode === 'signed') res = await signedPost(t, path, params);
          else if (mode === 'unsigned') res = await supertest(t.app).post(path).type('form').send(params);
          else if (mode === 'json') {
            const signature = twilioSignature(t.config.twilio.authToken, `${t.config.publicBaseUrl}${path}`, {});
            res = await supertest(t.app).post(path).set('X-Twilio-Signature', signature).set('Content-Type', 'application/json').send(JSON.stringify(params));
          } else {
            res = await supertest(t.app).post(path).set('Content-Type', random.pick(['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x'])).send(randomBytes(Math.floor(random.next() * 40_000)).toString('latin1'));
          }
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          expect(res.status, `${mode} ${path} ${JSON.stringify(params).slice(0, 120)}`).to.be.oneOf([200, 204, 400, 403, 404, 413, 415]);
          if (res.status === 200) expect(() => parseTwiml(res.text), res.text.slice(0, 200)).not.to.throw();
        }),
      );
    }
    expect(statuses.get(403) ?? 0).to.be.greaterThan(0);
    expect(statuses.get(200) ?? 0).to.be.greaterThan(0);
    expect((await supertest(t.app).get('/healthz')).status).to.equal(200);
    const stored = await t.store.models.CallTurn.collection.find({}).toArray();
    expect(stored.length).to.be.greaterThan(0);
    for (const doc of stored) {
      expect(doc._id).to.match(/^CA[0-9A-Za-z]+:[0-9]+$/);
      const turn = turnFromStored(doc as never)!;
      expect(turn._id).to.equal(turnId(turn.callSid, turn.step));
      expect(turn.snapshot).to.be.an('object');
    }
    const turns = await t.store.callSessions.turns(live.callSid);
    expect(turns.map((turn) => turn.step)).to.deep.equal(turns.map((_turn, i) => i));
  });

  it('after the storm, the live call still works from where it is', async () => {
    const session = await t.store.callSessions.find(live.callSid);
    const answer = await signedPost(t, `/voice/gather?step=${session!.step}&lang=${session!.language}`, { CallSid: live.callSid, Digits: '*' });
    expect(answer.status).to.equal(200);
    expect(parseTwiml(answer.text).says.length).to.be.greaterThan(0);
  });
});
