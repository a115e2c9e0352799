import { expect } from 'chai';
import { createApp } from '../../src/app.ts';
import { OutboxMessenger } from '../../src/messaging/messenger.ts';
import { openStore, type Store } from '../../src/storage/store.ts';
import { testMongoUri } from '../support/root-hooks.ts';
import { latestCode, startTestApp, TestCall, type TestApp } from '../support/test-app.ts';

describe('two app instances on one database', () => {
  let first: TestApp;
  let secondStore: Store;
  let second: TestApp;

  before(async () => {
    first = await startTestApp('two-instances');
    secondStore = await openStore(testMongoUri(), first.dbName);
    second = {
      ...first,
      store: secondStore,
      app: createApp({
        config: first.config,
        store: secondStore,
        logger: first.logger,
        messenger: new OutboxMessenger(secondStore.outbox, first.config.pinPepper),
        now: () => first.clock.now,
      }),
    };
  });
  after(async () => {
    await secondStore.close();
    await first.close();
  });

  it('when every webhook of a call alternates between instances, the password reset still completes', async () => {
    const instances = [first, second];
    let turn = 0;
    const call = new TestCall(first, '+8613800138000');
    const next = () => {
      turn += 1;
      call.via(instances[turn % 2]);
    };
    await call.start();
    for (const keys of ['2', '1', '11010519491231002*', '1']) {
      next();
      await call.press(keys);
    }
    const code = (await latestCode(first, '+8613800138000'))!;
    for (const keys of [code, '602481', '602481']) {
      next();
      await call.press(keys);
    }
    expect(call.last.text).to.contain('Your password is set');
    expect((await first.store.callSessions.find(call.callSid))?.outcome).to.equal('password-changed');
    expect(await secondStore.passwordChanges.findByCall(call.callSid)).to.include({ channel: 'sms' });
  });
});
