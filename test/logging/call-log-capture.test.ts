import { expect } from 'chai';
import winston from 'winston';
import { CallLogCapture } from '../../src/logging/call-log.transport.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { signedPost, startTestApp, TestCall, type TestApp } from '../support/test-app.ts';

const messagesOf = (lines: Array<{ message: string }>) => lines.map((line) => line.message);
const stepsOf = (lines: Array<{ message: string; fields: string }>) => lines.filter((line) => line.message === 'turn').map((line) => (JSON.parse(line.fields) as { step: number }).step);

describe('where a call\'s log lines are stored', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp('call-log-capture');
  });
  afterEach(async () => t.close());

  it('a turn stores its own lines, so a caller who hangs up leaves nothing to be written late', async () => {
    const call = new TestCall(t);
    await call.start();
    await call.press('2');
    expect(await call.hangUp()).to.equal(204);
    const turns = await t.store.callSessions.turns(call.callSid);
    expect(turns.map((turn) => stepsOf(turn.log)), 'each turn holds its own "turn" line').to.deep.equal([[], [1], [2]]);
    expect(messagesOf(turns[0].log)).to.include('call started');
    expect(messagesOf(turns[2].log)).to.include.members(['call status', 'turn', 'caller hung up']);
    await t.settle();
    expect(await t.store.callLogs.late(call.callSid)).to.deep.equal([]);
  });

  it('when the flow has ended the call, the carrier\'s status line is stored with its end, before the callback is answered', async () => {
    const call = new TestCall(t);
    await call.start();
    await call.press('2');
    await call.silence();
    await call.silence();
    const turns = await t.store.callSessions.turns(call.callSid);
    expect(turns[turns.length - 1].ended).to.equal(true);
    expect(messagesOf(turns[turns.length - 1].log)).to.include('call ended by flow');
    await call.hangUp();
    expect(messagesOf(await t.store.callLogs.late(call.callSid))).to.deep.equal(['call status']);
  });

  it('when the same key press is delivered twice at once, the timeline has one line for the turn', async () => {
    const call = new TestCall(t);
    await call.start();
    await call.press('2');
    const action = call.last.gather!.action;
    const [a, b] = await Promise.all([signedPost(t, action, { CallSid: call.callSid, Digits: '*' }), signedPost(t, action, { CallSid: call.callSid, Digits: '*' })]);
    expect(a.text).to.equal(b.text);
    await call.hangUp();
    await t.settle();
    const turns = await t.store.callSessions.turns(call.callSid);
    const late = await t.store.callLogs.late(call.callSid);
    expect([...turns.flatMap((turn) => stepsOf(turn.log)), ...stepsOf(late)]).to.deep.equal([1, 2, 3]);
    expect(messagesOf(late)).not.to.include('turn');
  });

  it('late flushes of many calls keep at most two writes in flight, even when a second starts during the first, and store every call\'s lines once', async () => {
    const calls = await Promise.all(Array.from({ length: 24 }, async () => {
      const call = new TestCall(t);
      await call.start();
      return call.callSid;
    }));
    let inFlight = 0;
    let peak = 0;
    const counted = async <T>(work: () => Promise<T>): Promise<T> => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      try {
        return await work();
      } finally {
        inFlight -= 1;
      }
    };
    const capture = new CallLogCapture({
      callExists: (callSid) => counted(async () => (await t.store.callSessions.findTurn(callSid, 0, { lean: true })) !== null),
      appendLate: (callSid, lines) => counted(() => t.store.callLogs.appendLate(callSid, lines)),
    }, 60_000);
    const logger = createLogger({ level: 'info', format: 'json', transports: [capture, new winston.transports.Console({ silent: true })] });
    const say = (callSids: string[]) => {
      for (const callSid of callSids) logger.child({ callSid }).info('delivery finished', { channel: 'sms' });
    };
    say([...calls.slice(0, 12), 'CAforged00000000000000000000000000']);
    const first = capture.flushLate(true);
    say(calls.slice(12));
    await Promise.all([first, capture.flushLate(true), capture.flushLate()]);
    expect(peak).to.be.within(1, 2);
    for (const callSid of calls) expect(messagesOf(await t.store.callLogs.late(callSid))).to.deep.equal(['delivery finished']);
    expect(await t.store.callLogs.late('CAforged00000000000000000000000000')).to.deep.equal([]);
    await capture.close();
  });
});
