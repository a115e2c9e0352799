import { Schema, type Connection, type Model } from 'mongoose';

/** A registered card holder. The ID number is kept for the registry; everything else looks it up by idHash. */
export interface CitizenDoc {
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

/** One call, keyed by Twilio's CallSid, holding the persisted actor snapshot and its step number. */
export interface CallSessionDoc {
  _id: string;
  step: number;
  snapshot: string;
  state: string;
  status: 'active' | 'ended';
  outcome?: string | null;
  language: string;
  callerMasked: string;
  callerHash: string;
  callerLast4: string;
  to?: string | null;
  idHash?: string | null;
  idMasked?: string | null;
  lastTwiml: string;
  startedAt: Date;
  updatedAt: Date;
  endedAt?: Date | null;
  twilioStatus?: string | null;
  durationSeconds?: number | null;
  dialCallStatus?: string | null;
  /** Every state the call has passed through (a set, for the supervisors' flow view). */
  visited?: string[];
  /** Every transition the call has taken, as `from>to` (a set). */
  moves?: string[];
  /** The state the call ended in: where the caller hung up, or the final state the flow reached. */
  endedIn?: string | null;
  /** True when the call met a technical problem (the flow's apology state, or the recovery path after a failed turn). */
  hadTrouble?: boolean;
}

/** One turn of a call, keyed `CallSid:step`; inserting it claims the turn (atomic on MongoDB and FerretDB alike) and it carries the result for roll-forward. */
export interface CallTurnDoc extends TimelineEntryDoc {
  _id: string;
  callSid: string;
  twiml: string;
  snapshot: string;
  language: string;
  outcome: string | null;
  ended: boolean;
  idHash: string | null;
  idMasked: string | null;
}

/** A record of a password change: who, when, which call, which channel, from which (masked) number. */
export interface PasswordChangeDoc {
  citizenId: string;
  idHash: string;
  idMasked: string;
  at: Date;
  callSid: string;
  channel: string;
  callerMasked: string;
  /** `pending` while the hash is being written; only `done` changes happened. */
  status: 'pending' | 'done' | 'failed';
}

/** A one-time code, stored only as a keyed hash. */
export interface OneTimeCodeDoc {
  idHash: string;
  citizenId: string;
  channel: 'sms' | 'email';
  codeHash: string;
  createdAt: Date;
  expiresAt: Date;
  usedAt?: Date | null;
  voidedAt?: Date | null;
  sendKey: string;
}

/** Per-card guard against guessing: when failures were last reset and until when the card is locked. */
export interface CardGuardDoc {
  _id: string;
  countSince: Date;
  lockedUntil?: Date | null;
}

/** One failed verification, keyed by call and step so a repeated delivery counts once. */
export interface VerificationFailureDoc {
  _id: string;
  idHash: string;
  at: Date;
  callSid: string;
  kind: 'code' | 'current-password';
  codeId?: string | null;
}

/** A card lock, kept for audit; keyed by card and run of failures so a race records it once. */
export interface CardLockDoc {
  _id: string;
  idHash: string;
  idMasked: string;
  at: Date;
  until: Date;
  callSid: string;
}

/** The single use of a one-time code: keyed by the code, so only one turn can ever use it. */
export interface OneTimeCodeUseDoc {
  _id: string;
  turnKey: string;
  at: Date;
}

/** A message the line would have sent, kept locally (sealed) when no real SMS or email is configured. */
export interface OutboxDoc {
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
}

/** A console login, keyed by a keyed hash of the random token held in the browser's cookie. */
export interface SupervisorSessionDoc {
  _id: string;
  username: string;
  createdAt: Date;
  expiresAt: Date;
}

/** One failed console login, counted per key (`user:<name>` or `ip:<address>`) for throttling. */
export interface LoginFailureDoc {
  key: string;
  at: Date;
}

/** Who looked at which call, when, and how (page, API, export). */
export interface AccessLogDoc {
  supervisor: string;
  callSid: string | null;
  at: Date;
  what: string;
  detail?: string | null;
}

/** One (already masked) log line of a call, kept so supervisors can read it next to the timeline. */
export interface CallLogDoc {
  callSid: string;
  at: Date;
  level: string;
  message: string;
  fields: string;
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
  CallSession: Model<CallSessionDoc>;
  CallTurn: Model<CallTurnDoc>;
  PasswordChange: Model<PasswordChangeDoc>;
  OneTimeCode: Model<OneTimeCodeDoc>;
  OneTimeCodeUse: Model<OneTimeCodeUseDoc>;
  CardGuard: Model<CardGuardDoc>;
  VerificationFailure: Model<VerificationFailureDoc>;
  CardLock: Model<CardLockDoc>;
  Outbox: Model<OutboxDoc>;
  Supervisor: Model<SupervisorDoc>;
  SupervisorSession: Model<SupervisorSessionDoc>;
  LoginFailure: Model<LoginFailureDoc>;
  AccessLog: Model<AccessLogDoc>;
  CallLog: Model<CallLogDoc>;
  CallbackRequest: Model<CallbackRequestDoc>;
  ClosedCallback: Model<ClosedCallbackDoc>;
}

const opts = { versionKey: false as const };

/** Registers the schemas on a connection and returns the models. */
export function registerModels(connection: Connection): Models {
  const citizen = new Schema<CitizenDoc>(
    {
      idNumber: { type: String, required: true, unique: true },
      idHash: { type: String, required: true, unique: true },
      name: { type: String, required: true },
      mobile: { type: String, default: null },
      email: { type: String, default: null },
      pinHash: { type: String, default: null },
      pinSetAt: { type: Date, default: null },
    },
    { ...opts, timestamps: true, collection: 'citizens' },
  );

  const callTurn = new Schema<CallTurnDoc>(
    {
      _id: { type: String, required: true },
      callSid: { type: String, required: true },
      step: { type: Number, required: true },
      at: { type: Date, required: true },
      event: { type: String, required: true },
      input: { type: String, default: null },
      from: { type: String, default: '' },
      to: { type: String, required: true },
      path: { type: [String], default: [] },
      prompts: { type: [String], default: [] },
      durationMs: { type: Number, default: 0 },
      twiml: { type: String, required: true },
      snapshot: { type: String, required: true },
      language: { type: String, required: true },
      outcome: { type: String, default: null },
      ended: { type: Boolean, default: false },
      idHash: { type: String, default: null },
      idMasked: { type: String, default: null },
    },
    { ...opts, collection: 'call_turns' },
  );
  callTurn.index({ callSid: 1, step: 1 });

  const callSession = new Schema<CallSessionDoc>(
    {
      _id: { type: String, required: true },
      step: { type: Number, required: true },
      snapshot: { type: String, required: true },
      state: { type: String, required: true },
      status: { type: String, required: true },
      outcome: { type: String, default: null },
      language: { type: String, required: true },
      callerMasked: { type: String, required: true },
      callerHash: { type: String, required: true },
      callerLast4: { type: String, required: true },
      to: { type: String, default: null },
      idHash: { type: String, default: null },
      idMasked: { type: String, default: null },
      lastTwiml: { type: String, required: true },
      startedAt: { type: Date, required: true },
      updatedAt: { type: Date, required: true },
      endedAt: { type: Date, default: null },
      twilioStatus: { type: String, default: null },
      durationSeconds: { type: Number, default: null },
      visited: { type: [String], default: undefined },
      moves: { type: [String], default: undefined },
      endedIn: { type: String, default: null },
      hadTrouble: { type: Boolean, default: undefined },
    },
    { ...opts, collection: 'call_sessions' },
  );
  callSession.index({ startedAt: -1 });
  callSession.index({ idMasked: 1, startedAt: -1 });
  callSession.index({ callerHash: 1, startedAt: -1 });
  callSession.index({ hadTrouble: 1, startedAt: -1 });
  callSession.index({ outcome: 1, startedAt: -1 });
  callSession.index({ idHash: 1, startedAt: -1 });
  callSession.index({ callerLast4: 1, startedAt: -1 });

  const passwordChange = new Schema<PasswordChangeDoc>(
    {
      citizenId: { type: String, required: true },
      idHash: { type: String, required: true },
      idMasked: { type: String, required: true },
      at: { type: Date, required: true },
      callSid: { type: String, required: true, unique: true },
      channel: { type: String, required: true },
      callerMasked: { type: String, required: true },
      status: { type: String, required: true },
    },
    { ...opts, collection: 'password_changes' },
  );
  passwordChange.index({ idHash: 1, at: -1 });

  const oneTimeCode = new Schema<OneTimeCodeDoc>(
    {
      idHash: { type: String, required: true },
      citizenId: { type: String, required: true },
      channel: { type: String, required: true },
      codeHash: { type: String, required: true },
      createdAt: { type: Date, required: true },
      expiresAt: { type: Date, required: true },
      usedAt: { type: Date, default: null },
      voidedAt: { type: Date, default: null },
      sendKey: { type: String, required: true, unique: true },
    },
    { ...opts, collection: 'one_time_codes' },
  );
  oneTimeCode.index({ idHash: 1, createdAt: -1 });

  const oneTimeCodeUse = new Schema<OneTimeCodeUseDoc>(
    { _id: { type: String, required: true }, turnKey: { type: String, required: true }, at: { type: Date, required: true } },
    { ...opts, collection: 'one_time_code_uses' },
  );

  const cardGuard = new Schema<CardGuardDoc>(
    { _id: { type: String, required: true }, countSince: { type: Date, required: true }, lockedUntil: { type: Date, default: null } },
    { ...opts, collection: 'card_guards' },
  );

  const verificationFailure = new Schema<VerificationFailureDoc>(
    {
      _id: { type: String, required: true },
      idHash: { type: String, required: true },
      at: { type: Date, required: true },
      callSid: { type: String, required: true },
      kind: { type: String, required: true },
      codeId: { type: String, default: null },
    },
    { ...opts, collection: 'verification_failures' },
  );
  verificationFailure.index({ idHash: 1, at: -1 });
  verificationFailure.index({ codeId: 1 });

  const cardLock = new Schema<CardLockDoc>(
    {
      _id: { type: String, required: true },
      idHash: { type: String, required: true },
      idMasked: { type: String, required: true },
      at: { type: Date, required: true },
      until: { type: Date, required: true },
      callSid: { type: String, required: true },
    },
    { ...opts, collection: 'card_locks' },
  );

  const outbox = new Schema<OutboxDoc>(
    {
      toHash: { type: String, required: true },
      toMasked: { type: String, required: true },
      channel: { type: String, required: true },
      sealedBody: { type: String, required: true },
      createdAt: { type: Date, required: true },
    },
    { ...opts, collection: 'outbox' },
  );
  outbox.index({ toHash: 1, createdAt: -1 });

  const supervisor = new Schema<SupervisorDoc>(
    {
      _id: { type: String, required: true },
      passwordHash: { type: String, required: true },
      createdAt: { type: Date, required: true },
      passwordSetAt: { type: Date, required: true },
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
    { key: { type: String, required: true }, at: { type: Date, required: true } },
    { ...opts, collection: 'supervisor_login_failures' },
  );
  loginFailure.index({ key: 1, at: -1 });

  const accessLog = new Schema<AccessLogDoc>(
    {
      supervisor: { type: String, required: true },
      callSid: { type: String, default: null },
      at: { type: Date, required: true },
      what: { type: String, required: true },
      detail: { type: String, default: null },
    },
    { ...opts, collection: 'supervisor_access_log' },
  );
  accessLog.index({ callSid: 1, at: -1 });
  accessLog.index({ supervisor: 1, at: -1 });

  const callLog = new Schema<CallLogDoc>(
    {
      callSid: { type: String, required: true },
      at: { type: Date, required: true },
      level: { type: String, required: true },
      message: { type: String, required: true },
      fields: { type: String, default: '{}' },
    },
    { ...opts, collection: 'call_logs' },
  );
  callLog.index({ callSid: 1, at: 1 });

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
    CallSession: connection.model<CallSessionDoc>('CallSession', callSession),
    CallTurn: connection.model<CallTurnDoc>('CallTurn', callTurn),
    PasswordChange: connection.model<PasswordChangeDoc>('PasswordChange', passwordChange),
    OneTimeCode: connection.model<OneTimeCodeDoc>('OneTimeCode', oneTimeCode),
    OneTimeCodeUse: connection.model<OneTimeCodeUseDoc>('OneTimeCodeUse', oneTimeCodeUse),
    CardGuard: connection.model<CardGuardDoc>('CardGuard', cardGuard),
    VerificationFailure: connection.model<VerificationFailureDoc>('VerificationFailure', verificationFailure),
    CardLock: connection.model<CardLockDoc>('CardLock', cardLock),
    Outbox: connection.model<OutboxDoc>('Outbox', outbox),
    Supervisor: connection.model<SupervisorDoc>('Supervisor', supervisor),
    SupervisorSession: connection.model<SupervisorSessionDoc>('SupervisorSession', supervisorSession),
    LoginFailure: connection.model<LoginFailureDoc>('LoginFailure', loginFailure),
    AccessLog: connection.model<AccessLogDoc>('AccessLog', accessLog),
    CallLog: connection.model<CallLogDoc>('CallLog', callLog),
    CallbackRequest: connection.model<CallbackRequestDoc>('CallbackRequest', callbackRequest),
    ClosedCallback: connection.model<ClosedCallbackDoc>('ClosedCallback', closedCallback),
  };
}
