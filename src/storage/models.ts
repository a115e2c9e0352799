import { Schema, type Connection, type Model } from 'mongoose';

/** A registered card holder, keyed by the keyed hash of the ID number (so identifying a caller is one `_id` read). */
export interface CitizenDoc {
  _id: string;
  idNumber: string;
  idHash: string;
  name: string;
  mobile?: string | null;
  email?: string | null;
  pinHash?: string | null;
  pinSetAt?: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** One timeline entry of a call: what came in, where the flow went, what was played. */
export interface TimelineEntryDoc {
  step: number;
  at: Date;
  event: string;
  input?: string | null;
  from: string;
  to: string;
  /** Every state the call passed through in this turn, in order, from `from` to `to` (intermediate checks included). */
  path: string[];
  prompts: string[];
  durationMs: number;
}

/** What a carrier adapter needs to answer with a state: its meta (prompts, gather, end), the notice before it, the language. */
export interface TurnViewDoc {
  state: string;
  meta: { prompts: string[] };
  notice: string[];
  language: string;
  /** Speak both languages (the caller has not chosen one yet). */
  bilingual: boolean;
}

/** Who and when a call is, fixed when it starts and carried by every turn, so no turn needs another read. */
export interface CallIdentityDoc {
  startedAt: Date;
  callerMasked: string;
  callerHash: string;
  callerLast4: string;
  to: string | null;
  /** Which telephony carrier served the call (`twilio`, `jambonz`). */
  carrier: string;
}

/** One (already masked) log line of a call. */
export interface CallLogLineDoc {
  at: Date;
  level: string;
  message: string;
  fields: string;
}

/**
 * A fact a turn's side effect noted for supervisors, stored in the turn it happened in: an entry that was refused
 * without being checked (the card's factor locked, the day's failures used up, the code void or none open). The
 * caller heard the same as for a wrong entry; the console shows the reason.
 */
export interface TurnNoteDoc {
  kind: 'verification-refused';
  factor: 'code' | 'current-password';
  reason: 'locked' | 'daily-cap' | 'code-void' | 'no-open-code';
  /** Until when the factor was locked or paused (null for a void or missing code). */
  until: Date | null;
}

/** An entry refused because the card was locked (or its day's failures used up): what a call's end digest keeps of its notes. */
export interface CallRefusalDoc {
  factor: 'code' | 'current-password';
  reason: 'locked' | 'daily-cap';
  until: Date;
}

/**
 * One turn of a call, keyed `CallSid:step` (stored as its `_id` and two JSON strings: see `storedTurn` in
 * call-session.repository.ts). Inserting it claims the step (atomic on MongoDB and FerretDB alike) and
 * stores everything the next turn needs (snapshot, identity) and everything the timeline shows: a turn is one read
 * of its predecessor and this one insert.
 */
export interface CallTurnDoc extends TimelineEntryDoc {
  _id: string;
  callSid: string;
  /** The persisted actor snapshot after this turn (no running invocation, no secret). */
  snapshot: Record<string, unknown>;
  /** How to answer this turn (and any repeated delivery of it). */
  view: TurnViewDoc;
  call: CallIdentityDoc;
  language: string;
  outcome: string | null;
  ended: boolean;
  idHash: string | null;
  idMasked: string | null;
  /** The call's log lines written while this turn ran (masked). */
  log: CallLogLineDoc[];
  /** What the turn's side effects noted for supervisors (absent when nothing was). */
  notes?: TurnNoteDoc[];
}

/** How a call ended, written once (the insert is the claim) and read by the console: masked fields only, plus look-up hashes. */
export interface CallEndDoc {
  _id: string;
  startedAt: Date;
  endedAt: Date;
  durationSeconds: number | null;
  outcome: string;
  hadTrouble: boolean;
  /** The state the call ended in: where the caller hung up, or the final state the flow reached. */
  endedIn: string;
  language: string;
  callerMasked: string;
  callerHash: string;
  callerLast4: string;
  idHash: string | null;
  idMasked: string | null;
  to: string | null;
  carrier: string;
  /** The carrier's final call status (`completed`, `busy`, …). */
  carrierStatus: string | null;
  dialCallStatus: string | null;
  steps: number;
  /** The last entry refused because the card was locked, if any (absent on calls recorded before refusals were). */
  refused?: CallRefusalDoc | null;
}

/** A fact about a call recorded outside its turns (an agent line that did not answer, the recovery path), keyed `CallSid:kind`. */
export interface CallFactDoc {
  _id: string;
  callSid: string;
  kind: 'dial' | 'recovery';
  at: Date;
  value: string;
}

/** One page of an append-only list written by one instance: `_id` = `key|slot|page`, entries in the order appended. */
export interface BucketPageDoc {
  _id: string;
  entries: string[];
}

/** A housekeeping run claimed by one instance (`silent:<minute>`, `retention:<week>:<hour>`), or a finished one (`retention:<week>:done`). */
export interface HousekeepingDoc {
  _id: string;
  at: Date;
}

/** Counters of one hour of calls kept by one instance (`_id` = `hour|slot`); the console adds the slots up. */
export interface RollupDoc {
  _id: string;
  hour: Date;
  counts: Record<string, number>;
}

/** Log lines of a call written after its turns (late delivery results), keyed `CallSid:late:n`. */
export interface LateLogDoc {
  _id: string;
  callSid: string;
  lines: CallLogLineDoc[];
}

/** A record of a password change: who, when, which call (its `_id`), which channel, from which (masked) number. */
export interface PasswordChangeDoc {
  _id: string;
  citizenId: string;
  idHash: string;
  idMasked: string;
  at: Date;
  callSid: string;
  channel: string;
  callerMasked: string;
  /** `pending` while the hash is being written; only `done` changes happened. */
  status: 'pending' | 'done' | 'failed';
  /**
   * Whether the calling number was the card's registered mobile (compared by keyed hash, with and without the country
   * code); null when it cannot be said (no mobile registered, the number withheld); absent on records made before.
   */
  callerMatchedMobile?: boolean | null;
}

/** A one-time code, stored only as a keyed hash; its `_id` is the send slot it took (`<card>:<bucket>:<k>`). */
export interface OneTimeCodeDoc {
  _id: string;
  idHash: string;
  citizenId: string;
  channel: 'sms' | 'email';
  codeHash: string;
  createdAt: Date;
  expiresAt: Date;
  usedAt?: Date | null;
  voidedAt?: Date | null;
  /** The turn (`CallSid:step`) that sent it. */
  sendKey: string;
  /** Where it was sent, masked (`+86 138****8000`, `w***@example.org`); absent on codes issued before this was kept. */
  toMasked?: string | null;
}

/** The newest code of a card (`_id` = the card's idHash): how a verification finds the code without a scan. */
export interface OneTimeCodeHeadDoc {
  _id: string;
  codeId: string;
  createdAt: Date;
}

/** Which epoch of failure slots a card's factor is in (`_id` = `<factor>:<card>`); a hint, never the truth. */
export interface CardGuardDoc {
  _id: string;
  idHash: string;
  epoch: number;
}

/**
 * One reserved verification attempt, taken before the guess is evaluated and kept when it failed. `_id` names the
 * slot: `<factor>:<card>:e<epoch>:<k>` (k below the lock threshold), `<factor>:<card>:d<day>:<k>` (the daily cap),
 * or `code:<codeId>:<k>` (wrong entries of one code). The unique `_id` is what makes each limit exact.
 */
export interface VerificationSlotDoc {
  _id: string;
  idHash: string;
  factor: 'code' | 'current-password';
  at: Date;
  callSid: string;
  turnKey: string;
}

/** A card lock of one factor: one insert per full epoch (`_id` = `<factor>:<card>:e<epoch>`), derived from its slots. */
export interface CardLockDoc {
  _id: string;
  idHash: string;
  idMasked: string;
  factor: 'code' | 'current-password';
  epoch: number;
  at: Date;
  until: Date;
  callSid: string;
}

/**
 * A card lock lifted by an admin before its time: one insert keyed by the lock it lifts (`<factor>:<card>:e<epoch>`),
 * so the lock document itself never changes. A lifted lock ends its run: the next attempt opens the next epoch.
 */
export interface CardUnlockDoc {
  _id: string;
  idHash: string;
  factor: 'code' | 'current-password';
  epoch: number;
  at: Date;
  /** The console account that lifted it. */
  by: string;
  /** Why (as typed, with numbers and addresses masked). */
  reason: string;
}

/** A side effect of one turn claimed once (`_id` = `<what>:<CallSid>:<step>`), with its outcome for a repeated delivery. */
export interface TurnClaimDoc {
  _id: string;
  at: Date;
  outcome?: string | null;
}

/** The single use of a one-time code: keyed by the code, so only one turn can ever use it. */
export interface OneTimeCodeUseDoc {
  _id: string;
  turnKey: string;
  at: Date;
}

/** A random key of one live call (`_id` = CallSid) and the first new-PIN entry keyed with it; deleted when the call ends. */
export interface CallSecretDoc {
  _id: string;
  key: string;
  firstPin?: string | null;
  at: Date;
}

/** A message the line would have sent, kept locally (sealed) when no real SMS or email is configured; keyed `toHash:n`, n counting from 0 per recipient. */
export interface OutboxDoc {
  _id: string;
  toHash: string;
  toMasked: string;
  channel: 'sms' | 'email';
  sealedBody: string;
  createdAt: Date;
}

/** A supervisor account of the console; the password only as an Argon2id hash. */
export interface SupervisorDoc {
  _id: string;
  passwordHash: string;
  createdAt: Date;
  passwordSetAt: Date;
  /** `supervisor`, `auditor` or `admin`; absent on accounts made before roles existed (read as `supervisor`). */
  role?: string | null;
  /** The console language the supervisor chose (`zh-CN` or `en-US`); absent: Chinese. */
  language?: string | null;
}

/** A console login, keyed by a keyed hash of the random token held in the browser's cookie. */
export interface SupervisorSessionDoc {
  _id: string;
  username: string;
  createdAt: Date;
  expiresAt: Date;
}

/** One console login attempt's throttle slot (`_id` = `<key>:<window>:<k>`, key `user:<name>` or `ip:<address>`), kept when it failed. */
export interface LoginFailureDoc {
  _id: string;
  key: string;
  at: Date;
}

/**
 * One access-log entry: who looked at which call, searched for which (masked) number or ID, exported what.
 * Keyed `<UTC hour YYYYMMDDHH>:<sequence in that hour, 6 digits>` so the log is read newest first by `_id` look-ups
 * hour by hour, never by a filtered scan.
 */
export interface AccessLogDoc {
  _id: string;
  at: Date;
  supervisor: string;
  /** The supervisor's role at the time. */
  role: string;
  /** `view-call`, `search`, `export-calls`, `export-access-log`, `change-role`. */
  what: string;
  /** `page`, `api`, `csv`, `json`. */
  how: string;
  callSid: string | null;
  /** What was searched for or changed, masked (`+86 139****5678`, `1101**********002X`, `account bob`). */
  subject: string | null;
  /** The rest of the request, masked (filters of a search or export, the new role). */
  detail: string | null;
}

/**
 * An open callback request: one per caller number while open (`_id` is the keyed hash of the number, so a second
 * request for it fails its insert). Only open requests live here; closing moves one to the closed collection.
 */
export interface CallbackRequestDoc {
  _id: string;
  /** The call that asked for it (also the id supervisors close it by). */
  callSid: string;
  callerMasked: string;
  language: string;
  /** Why the caller was on the way to an agent: `asked`, `too-many-tries`, `id-unverifiable`. */
  reason: string;
  /** The last state the caller chose in before the agent line. */
  state: string;
  /** How the agent line ended: `busy`, `no-answer`, `failed`… */
  agentLine: string;
  requestedAt: Date;
  /** When the caller was told to expect the call by. */
  dueBy: Date;
}

/** A closed callback request, kept for the record (keyed by the CallSid that asked for it). */
export interface ClosedCallbackDoc extends Omit<CallbackRequestDoc, '_id'> {
  _id: string;
  closedAt: Date;
  closedBy: string;
  resolution: string;
}

/** Every collection the hotline uses, bound to one connection. */
export interface Models {
  Citizen: Model<CitizenDoc>;
  CallTurn: Model<CallTurnDoc>;
  CallEnd: Model<CallEndDoc>;
  CallFact: Model<CallFactDoc>;
  CallIndex: Model<BucketPageDoc>;
  CallRollup: Model<RollupDoc>;
  LateLog: Model<LateLogDoc>;
  Housekeeping: Model<HousekeepingDoc>;
  PasswordChange: Model<PasswordChangeDoc>;
  OneTimeCode: Model<OneTimeCodeDoc>;
  OneTimeCodeHead: Model<OneTimeCodeHeadDoc>;
  OneTimeCodeUse: Model<OneTimeCodeUseDoc>;
  CardGuard: Model<CardGuardDoc>;
  VerificationSlot: Model<VerificationSlotDoc>;
  CardLock: Model<CardLockDoc>;
  CardUnlock: Model<CardUnlockDoc>;
  TurnClaim: Model<TurnClaimDoc>;
  CallSecret: Model<CallSecretDoc>;
  Outbox: Model<OutboxDoc>;
  Supervisor: Model<SupervisorDoc>;
  SupervisorSession: Model<SupervisorSessionDoc>;
  LoginFailure: Model<LoginFailureDoc>;
  AccessLog: Model<AccessLogDoc>;
  CallbackRequest: Model<CallbackRequestDoc>;
  ClosedCallback: Model<ClosedCallbackDoc>;
}

const opts = { versionKey: false as const };

/** Registers the schemas on a connection and returns the models. */
export function registerModels(connection: Connection): Models {
  const citizen = new Schema<CitizenDoc>(
    {
      _id: { type: String, required: true },
      idNumber: { type: String, required: true },
      idHash: { type: String, required: true },
      name: { type: String, required: true },
      mobile: { type: String, default: null },
      email: { type: String, default: null },
      pinHash: { type: String, default: null },
      pinSetAt: { type: Date, default: null },
    },
    { ...opts, timestamps: true, collection: 'citizens' },
  );

  // Call documents are written and read through the driver by `_id` only (see call-session.repository.ts); the
  // schemas name the collections and keep `_id` a string. No secondary index: the embedded FerretDB would not use it.
  const keyed = <T>(collection: string) => new Schema<T>({ _id: { type: String, required: true } } as never, { ...opts, collection, strict: false });
  const callTurn = keyed<CallTurnDoc>('call_turns');
  const callEnd = keyed<CallEndDoc>('call_ends');
  const callFact = keyed<CallFactDoc>('call_facts');
  const callIndex = keyed<BucketPageDoc>('call_index');
  const callRollup = keyed<RollupDoc>('call_rollups');
  const lateLog = keyed<LateLogDoc>('call_logs');
  const housekeeping = keyed<HousekeepingDoc>('housekeeping');

  const passwordChange = new Schema<PasswordChangeDoc>(
    {
      _id: { type: String, required: true },
      citizenId: { type: String, required: true },
      idHash: { type: String, required: true },
      idMasked: { type: String, required: true },
      at: { type: Date, required: true },
      callSid: { type: String, required: true },
      channel: { type: String, required: true },
      callerMasked: { type: String, required: true },
      status: { type: String, required: true },
    },
    { ...opts, collection: 'password_changes' },
  );
  passwordChange.index({ idHash: 1, at: -1 });

  const oneTimeCode = new Schema<OneTimeCodeDoc>(
    {
      _id: { type: String, required: true },
      idHash: { type: String, required: true },
      citizenId: { type: String, required: true },
      channel: { type: String, required: true },
      codeHash: { type: String, required: true },
      createdAt: { type: Date, required: true },
      expiresAt: { type: Date, required: true },
      usedAt: { type: Date, default: null },
      voidedAt: { type: Date, default: null },
      sendKey: { type: String, required: true },
      toMasked: { type: String, default: null },
    },
    { ...opts, collection: 'one_time_codes' },
  );
  oneTimeCode.index({ idHash: 1, createdAt: -1 });

  const oneTimeCodeHead = new Schema<OneTimeCodeHeadDoc>(
    { _id: { type: String, required: true }, codeId: { type: String, required: true }, createdAt: { type: Date, required: true } },
    { ...opts, collection: 'one_time_code_heads' },
  );

  const oneTimeCodeUse = new Schema<OneTimeCodeUseDoc>(
    { _id: { type: String, required: true }, turnKey: { type: String, required: true }, at: { type: Date, required: true } },
    { ...opts, collection: 'one_time_code_uses' },
  );

  const cardGuard = new Schema<CardGuardDoc>(
    { _id: { type: String, required: true }, idHash: { type: String, required: true }, epoch: { type: Number, required: true } },
    { ...opts, collection: 'card_guards' },
  );

  const verificationSlot = new Schema<VerificationSlotDoc>(
    {
      _id: { type: String, required: true },
      idHash: { type: String, required: true },
      factor: { type: String, required: true },
      at: { type: Date, required: true },
      callSid: { type: String, required: true },
      turnKey: { type: String, required: true },
    },
    { ...opts, collection: 'verification_slots' },
  );
  verificationSlot.index({ idHash: 1, at: -1 });

  const cardLock = new Schema<CardLockDoc>(
    {
      _id: { type: String, required: true },
      idHash: { type: String, required: true },
      idMasked: { type: String, required: true },
      factor: { type: String, required: true },
      epoch: { type: Number, required: true },
      at: { type: Date, required: true },
      until: { type: Date, required: true },
      callSid: { type: String, required: true },
    },
    { ...opts, collection: 'card_locks' },
  );
  cardLock.index({ idHash: 1, at: -1 });

  const cardUnlock = new Schema<CardUnlockDoc>(
    {
      _id: { type: String, required: true },
      idHash: { type: String, required: true },
      factor: { type: String, required: true },
      epoch: { type: Number, required: true },
      at: { type: Date, required: true },
      by: { type: String, required: true },
      reason: { type: String, required: true },
    },
    { ...opts, collection: 'card_unlocks' },
  );

  const turnClaim = new Schema<TurnClaimDoc>(
    { _id: { type: String, required: true }, at: { type: Date, required: true }, outcome: { type: String, default: null } },
    { ...opts, collection: 'turn_claims' },
  );

  const callSecret = new Schema<CallSecretDoc>(
    { _id: { type: String, required: true }, key: { type: String, required: true }, firstPin: { type: String, default: null }, at: { type: Date, required: true } },
    { ...opts, collection: 'call_secrets' },
  );

  const outbox = new Schema<OutboxDoc>(
    {
      _id: { type: String, required: true },
      toHash: { type: String, required: true },
      toMasked: { type: String, required: true },
      channel: { type: String, required: true },
      sealedBody: { type: String, required: true },
      createdAt: { type: Date, required: true },
    },
    { ...opts, collection: 'outbox' },
  );

  const supervisor = new Schema<SupervisorDoc>(
    {
      _id: { type: String, required: true },
      passwordHash: { type: String, required: true },
      createdAt: { type: Date, required: true },
      passwordSetAt: { type: Date, required: true },
      role: { type: String, default: null },
      language: { type: String, default: null },
    },
    { ...opts, collection: 'supervisors' },
  );

  const supervisorSession = new Schema<SupervisorSessionDoc>(
    {
      _id: { type: String, required: true },
      username: { type: String, required: true },
      createdAt: { type: Date, required: true },
      expiresAt: { type: Date, required: true },
    },
    { ...opts, collection: 'supervisor_sessions' },
  );
  supervisorSession.index({ username: 1 });

  const loginFailure = new Schema<LoginFailureDoc>(
    { _id: { type: String, required: true }, key: { type: String, required: true }, at: { type: Date, required: true } },
    { ...opts, collection: 'supervisor_login_failures' },
  );
  loginFailure.index({ key: 1, at: -1 });

  const accessLog = new Schema<AccessLogDoc>(
    {
      _id: { type: String, required: true },
      at: { type: Date, required: true },
      supervisor: { type: String, required: true },
      role: { type: String, required: true },
      what: { type: String, required: true },
      how: { type: String, required: true },
      callSid: { type: String, default: null },
      subject: { type: String, default: null },
      detail: { type: String, default: null },
    },
    { ...opts, collection: 'supervisor_access_log' },
  );

  const callbackFields = {
    callSid: { type: String, required: true },
    callerMasked: { type: String, required: true },
    language: { type: String, required: true },
    reason: { type: String, required: true },
    state: { type: String, required: true },
    agentLine: { type: String, required: true },
    requestedAt: { type: Date, required: true },
    dueBy: { type: Date, required: true },
  };
  const callbackRequest = new Schema<CallbackRequestDoc>({ _id: { type: String, required: true }, ...callbackFields }, { ...opts, collection: 'callback_requests' });
  const closedCallback = new Schema<ClosedCallbackDoc>(
    {
      _id: { type: String, required: true },
      ...callbackFields,
      closedAt: { type: Date, required: true },
      closedBy: { type: String, required: true },
      resolution: { type: String, required: true },
    },
    { ...opts, collection: 'callback_requests_closed' },
  );

  return {
    Citizen: connection.model<CitizenDoc>('Citizen', citizen),
    CallTurn: connection.model<CallTurnDoc>('CallTurn', callTurn),
    CallEnd: connection.model<CallEndDoc>('CallEnd', callEnd),
    CallFact: connection.model<CallFactDoc>('CallFact', callFact),
    CallIndex: connection.model<BucketPageDoc>('CallIndex', callIndex),
    CallRollup: connection.model<RollupDoc>('CallRollup', callRollup),
    LateLog: connection.model<LateLogDoc>('LateLog', lateLog),
    Housekeeping: connection.model<HousekeepingDoc>('Housekeeping', housekeeping),
    PasswordChange: connection.model<PasswordChangeDoc>('PasswordChange', passwordChange),
    OneTimeCode: connection.model<OneTimeCodeDoc>('OneTimeCode', oneTimeCode),
    OneTimeCodeHead: connection.model<OneTimeCodeHeadDoc>('OneTimeCodeHead', oneTimeCodeHead),
    OneTimeCodeUse: connection.model<OneTimeCodeUseDoc>('OneTimeCodeUse', oneTimeCodeUse),
    CardGuard: connection.model<CardGuardDoc>('CardGuard', cardGuard),
    VerificationSlot: connection.model<VerificationSlotDoc>('VerificationSlot', verificationSlot),
    CardLock: connection.model<CardLockDoc>('CardLock', cardLock),
    CardUnlock: connection.model<CardUnlockDoc>('CardUnlock', cardUnlock),
    TurnClaim: connection.model<TurnClaimDoc>('TurnClaim', turnClaim),
    CallSecret: connection.model<CallSecretDoc>('CallSecret', callSecret),
    Outbox: connection.model<OutboxDoc>('Outbox', outbox),
    Supervisor: connection.model<SupervisorDoc>('Supervisor', supervisor),
    SupervisorSession: connection.model<SupervisorSessionDoc>('SupervisorSession', supervisorSession),
    LoginFailure: connection.model<LoginFailureDoc>('LoginFailure', loginFailure),
    AccessLog: connection.model<AccessLogDoc>('AccessLog', accessLog),
    CallbackRequest: connection.model<CallbackRequestDoc>('CallbackRequest', callbackRequest),
    ClosedCallback: connection.model<ClosedCallbackDoc>('ClosedCallback', closedCallback),
  };
}
