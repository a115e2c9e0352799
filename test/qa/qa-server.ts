import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { ReplayTarget } from '../../src/qa/call-replayer.ts';
import { startTestApp, TEST_ENV, type TestApp } from '../support/test-app.ts';

/** A test app listening on a loopback port, and the replay target that rings it. */
export interface ListeningApp {
  t: TestApp;
  target: ReplayTarget;
  /** The same app rung through its jambonz webhooks. */
  jambonz: ReplayTarget;
  close(): Promise<void>;
}

/** Starts the real app (real store, embedded database) on 127.0.0.1 for the replayer. */
export async function listenTestApp(name: string, options: Parameters<typeof startTestApp>[1] = {}): Promise<ListeningApp> {
  const t = await startTestApp(name, options);
  const server: Server = await new Promise((resolve) => {
    const s = t.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  const target: ReplayTarget = { baseUrl: `http://127.0.0.1:${port}`, publicBaseUrl: t.config.publicBaseUrl, authToken: t.config.twilio.authToken, qaToken: TEST_ENV.QA_TOKEN };
  return {
    t,
    target,
    jambonz: { ...target, carrier: 'jambonz', jambonzSecret: t.config.jambonz.webhookSecret },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await t.close();
    },
  };
}
