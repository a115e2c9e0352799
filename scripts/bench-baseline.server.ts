import express from 'express';
import mongoose from 'mongoose';
import type { AddressInfo } from 'node:net';

/**
 * The benchmark's baseline: a bare Express handler doing the least a correct turn can do on the same database as the
 * hotline — read the call's previous step by `_id` and claim the next one with a unique-key insert (the only atomic
 * step on FerretDB 1.x) — so the hotline's figures can be read as a ratio on any machine.
 * Usage: tsx scripts/bench-baseline.server.ts <mongodb-uri> <db-name>; prints `listening <port>` when ready.
 */
const [uri, dbName] = process.argv.slice(2);
if (!uri || !dbName) {
  console.error('usage: bench-baseline.server.ts <mongodb-uri> <db-name>');
  process.exit(2);
}

const connection = await mongoose.createConnection(uri, { dbName, retryWrites: false, maxPoolSize: 20 }).asPromise();
const steps = connection.db!.collection<{ _id: string; state: string }>('baseline_steps');
// Create the collection before the load: concurrent first inserts can stall collection creation on FerretDB.
await steps.insertOne({ _id: 'warm-up', state: 'start' }).catch(() => undefined);

const app = express();
app.disable('x-powered-by');
app.post('/turn', express.urlencoded({ extended: false, limit: '16kb' }), async (req, res) => {
  const callSid = String((req.body as Record<string, unknown>).CallSid ?? '');
  const step = Number(req.query.step ?? 0);
  const previous = step > 0 ? await steps.findOne({ _id: `${callSid}:${step - 1}` }) : null;
  const claimed = await steps.insertOne({ _id: `${callSid}:${step}`, state: previous ? 'next' : 'start' }).then(
    () => true,
    () => false,
  );
  // A step already claimed (a repeated id: a defect of the load generator) is answered as an error, never as a turn.
  if (!claimed) {
    res.status(409).type('text/plain').send('step already claimed');
    return;
  }
  res.type('text/xml').send(`<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="/turn?step=${step + 1}"><Say>ok</Say></Gather></Response>`);
});

const server = app.listen(0, '127.0.0.1', () => console.log(`listening ${(server.address() as AddressInfo).port}`));
process.on('SIGTERM', () => {
  server.close(() => void connection.close().then(() => process.exit(0)));
  server.closeIdleConnections();
});
