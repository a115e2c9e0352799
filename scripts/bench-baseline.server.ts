import express from 'express';
import mongoose from 'mongoose';
import type { AddressInfo } from 'node:net';

/**
 * The benchmark's baseline: a bare Express handler that does one read and one conditional write per request on
 * the same database as the hotline, so the hotline's figures can be read as a ratio on any machine.
 * Usage: tsx scripts/bench-baseline.server.ts <mongodb-uri> <db-name>; prints `listening <port>` when ready.
 */
const [uri, dbName] = process.argv.slice(2);
if (!uri || !dbName) {
  console.error('usage: bench-baseline.server.ts <mongodb-uri> <db-name>');
  process.exit(2);
}

const connection = await mongoose.createConnection(uri, { dbName, retryWrites: false }).asPromise();
const calls = connection.db!.collection<{ _id: string; step: number; state: string }>('baseline_calls');
// Create the collection before the load: concurrent first upserts can stall collection creation on FerretDB.
await calls.updateOne({ _id: 'warm-up' }, { $setOnInsert: { step: 0, state: 'start' } }, { upsert: true });

const app = express();
app.disable('x-powered-by');
app.post('/turn', express.urlencoded({ extended: false, limit: '16kb' }), async (req, res) => {
  const callSid = String((req.body as Record<string, unknown>).CallSid ?? '');
  const found = await calls.findOne({ _id: callSid });
  const step = found?.step ?? 0;
  if (found) await calls.updateOne({ _id: callSid, step }, { $set: { step: step + 1, state: 'next' } });
  else await calls.updateOne({ _id: callSid }, { $setOnInsert: { step: 1, state: 'start' } }, { upsert: true });
  res.type('text/xml').send(`<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="/turn?step=${step + 1}"><Say>ok</Say></Gather></Response>`);
});

const server = app.listen(0, '127.0.0.1', () => console.log(`listening ${(server.address() as AddressInfo).port}`));
process.on('SIGTERM', () => {
  server.close(() => void connection.close().then(() => process.exit(0)));
  server.closeIdleConnections();
});
