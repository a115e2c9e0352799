import mongoose, { type Connection } from 'mongoose';
import { BucketLog } from './bucket-log.ts';
import { CallLogRepository } from './call-log.repository.ts';
import { CallRollupRepository } from './call-rollup.repository.ts';
import { CallSecretRepository } from './call-secret.repository.ts';
import { CallSearchRepository } from './call-search.repository.ts';
import { CallSessionRepository } from './call-session.repository.ts';
import { CallbackRequestRepository } from './callback-request.repository.ts';
import { CardGuardRepository } from './card-guard.repository.ts';
import { CitizenRepository } from './citizen.repository.ts';
import { HousekeepingRepository } from './housekeeping.repository.ts';
import { registerModels, type Models } from './models.ts';
import { OneTimeCodeRepository } from './one-time-code.repository.ts';
import { OutboxRepository } from './outbox.repository.ts';
import { PasswordChangeRepository } from './password-change.repository.ts';
import { SupervisorRepository } from './supervisor.repository.ts';
import { TurnClaimRepository } from './turn-claim.repository.ts';

/** Every repository on one database connection. */
export interface Store {
  /**
   * The same repositories on the console's own small connection pool when one was opened (`consolePoolSize`), else
   * this store: supervisors' reads then queue for their own connections, never in front of a caller's turn.
   */
  console: Store;
  citizens: CitizenRepository;
  callSessions: CallSessionRepository;
  passwordChanges: PasswordChangeRepository;
  oneTimeCodes: OneTimeCodeRepository;
  cardGuards: CardGuardRepository;
  /** Side effects claimed once per turn (code sends, verification attempts). */
  turnClaims: TurnClaimRepository;
  /** Secrets that live only as long as their call. */
  callSecrets: CallSecretRepository;
  outbox: OutboxRepository;
  supervisors: SupervisorRepository;
  callSearch: CallSearchRepository;
  callLogs: CallLogRepository;
  /** This instance's writer of the call index (see bucket-log.ts). */
  callIndex: BucketLog;
  /** This instance's writer (and the readers') of the hourly call counters. */
  callRollups: CallRollupRepository;
  /** Which instance runs each sweep (silent calls, retention). */
  housekeeping: HousekeepingRepository;
  callbacks: CallbackRequestRepository;
  models: Models;
  /** Answers when the database is reachable, throws otherwise. */
  ping(): Promise<void>;
  /** Drops the whole database (the QA command's throw-away database only). */
  drop(): Promise<void>;
  close(): Promise<void>;
}

/** How long a database operation may wait for a server before the caller hears an apology. */
export const DB_TIMEOUT_MS = 3000;

/**
 * Connects to MongoDB, registers the models, builds indexes, re-keys legacy data and returns the repositories
 * (`socketTimeoutMS` for long-running tools such as benchmarks; `onCommand` counts round trips as mongoose issues
 * them — the driver's own command monitoring stays off, it costs more than the count is worth; `consolePoolSize` opens
 * the console's own pool of that many connections beside the callers').
 */
export async function openStore(
  uri: string,
  dbName: string,
  options: { socketTimeoutMS?: number; onCommand?: (name: string) => void; maxPoolSize?: number; consolePoolSize?: number } = {},
): Promise<Store> {
  /** A connected pool (closed again when it cannot connect), its commands counted. */
  const connect = async (maxPoolSize: number): Promise<Connection> => {
    const connection = mongoose.createConnection(uri, {
      dbName,
      maxPoolSize,
      serverSelectionTimeoutMS: DB_TIMEOUT_MS,
      socketTimeoutMS: options.socketTimeoutMS ?? 10_000,
      bufferCommands: false,
      autoIndex: false,
      retryWrites: false,
    });
    try {
      await connection.asPromise();
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error;
    }
    const onCommand = options.onCommand;
    if (onCommand) connection.set('debug', (_collection: string, method: string) => onCommand(method));
    return connection;
  };
  const connection = await connect(options.maxPoolSize ?? 20);
  try {
    const models = registerModels(connection);
    await Promise.all(Object.values(models).map((model) => (model as mongoose.Model<unknown>).createIndexes()));
    await new CitizenRepository(models).rekeyLegacy();
    const consolePool = options.consolePoolSize ? await connect(options.consolePoolSize) : null;
    return storeOn(connection, models, consolePool ? storeOn(consolePool, registerModels(consolePool)) : undefined);
  } catch (error) {
    await connection.close().catch(() => undefined);
    throw error;
  }
}

/** The repositories on one open connection (indexes built and data re-keyed by `openStore` beforehand), with the console's store if it has its own. */
function storeOn(connection: Connection, models: Models, consoleStore?: Store): Store {
  const store: Store = {
    get console() {
      return consoleStore ?? store;
    },
    models,
    citizens: new CitizenRepository(models),
    callSessions: new CallSessionRepository(models),
    passwordChanges: new PasswordChangeRepository(models),
    oneTimeCodes: new OneTimeCodeRepository(models),
    cardGuards: new CardGuardRepository(models),
    turnClaims: new TurnClaimRepository(models),
    callSecrets: new CallSecretRepository(models),
    outbox: new OutboxRepository(models),
    supervisors: new SupervisorRepository(models),
    callSearch: new CallSearchRepository(models),
    callLogs: new CallLogRepository(models),
    callIndex: new BucketLog(models),
    callRollups: new CallRollupRepository(models),
    housekeeping: new HousekeepingRepository(models),
    callbacks: new CallbackRequestRepository(models),
    async ping() {
      const db = connection.db;
      if (!db) throw new Error('database not connected');
      await db.admin().command({ ping: 1 }, { timeoutMS: DB_TIMEOUT_MS } as never);
    },
    async drop() {
      await connection.dropDatabase();
    },
    async close() {
      await Promise.all([connection.close(), consoleStore?.close()]);
    },
  };
  return store;
}
