import { assign, fromPromise, setup } from 'xstate';
import { promptRef, type Language, type PromptId, type PromptRef } from '../prompts/catalogue.ts';
import { checkCitizenId, idFromKeypad } from '../src/domain/citizen-id.ts';
import type { WeakPinReason } from '../src/domain/new-pin.policy.ts';

/** How the caller proved who they are. */
export type VerificationChannel = 'sms' | 'email' | 'current-password';

/** Where a call ended, as supervisors and QA name it. */
export type CallOutcome =
  | 'password-changed'
  | 'transferred'
  | 'agent-unavailable'
  | 'callback-requested'
  | 'goodbye'
  | 'locked'
  | 'verification-failed'
  | 'abandoned'
  | 'no-input';

/**
 * Which timer a gathering state runs. Twilio's one `timeout` applies before the first key and between keys, so
 * a one-key menu can be short while the 18-character ID and a code read off a message need longer.
 */
export type GatherTimer = 'menu' | 'id' | 'code' | 'pin';

/** Default seconds of each timer (each can be changed in the configuration). */
export const GATHER_TIMERS: Readonly<Record<GatherTimer, number>> = { menu: 5, id: 10, code: 10, pin: 7 };

/** What a gathering state expects from the keypad. */
export interface GatherSpec {
  /** `menu`: one key; `entry`: several keys ended with `#`. */
  kind: 'menu' | 'entry';
  /** How long the line waits for the first key and between keys. */
  timer: GatherTimer;
  /** What the keys mean for masking: a PIN or code is never shown or stored. */
  secret?: 'pin' | 'code' | 'id';
}

/** What a state tells the renderer: prompts to play, then gather, dial or hang up. */
export interface StateMeta {
  prompts: PromptId[];
  gather?: GatherSpec;
  /** `dial`: put the caller through to an agent and wait for the line's result (`DIAL_RESULT`); `hangup`: the call ends. */
  end?: 'hangup' | 'dial';
  outcome?: CallOutcome;
}

/**
 * Events the telephony side sends into a call. `DIGITS` `#` alone is the finish key pressed with nothing before
 * it. `DIAL_RESULT` is how the agent line ended (`DialCallStatus`) and whether the caller's number can be called
 * back (it is not withheld).
 */
export type CallEvent =
  | { type: 'DIGITS'; digits: string }
  | { type: 'NO_INPUT' }
  | { type: 'HANGUP' }
  | { type: 'DIAL_RESULT'; status: string; callerReachable: boolean };

/** Why the caller was on the way to an agent (kept with a callback request). */
export type AgentReason = 'asked' | 'too-many-tries' | 'id-unverifiable';

/** The call's remembered facts; never a PIN or a code (the first new-PIN entry is held outside, in the call's secrets). */
export interface CallContext {
  language: Language;
  /** False until the caller picks a language (or the welcome times out): until then the line speaks both. */
  languageChosen: boolean;
  notice: PromptRef[];
  noInput: number;
  invalid: number;
  purpose: 'reset' | 'change' | null;
  idHash: string | null;
  idMasked: string | null;
  citizenId: string | null;
  channel: 'sms' | 'email' | null;
  verifiedBy: VerificationChannel | null;
  failedVerifications: number;
  newPinAttempts: number;
  /** A marker that the first new-PIN entry was accepted and is held in the call's secrets; never the entry or a digest of it. */
  firstPinDigest: string | null;
  /** ID numbers refused for their check digit since the last valid one (each is read back before anything else). */
  idChecksFailed: number;
  /** The last four characters of the ID number being read back (never the whole number). */
  idEnding: string | null;
  /** The last state in which the caller chose something (kept with a callback request). */
  place: string;
  agentReason: AgentReason | null;
  /** How the agent line ended when nobody answered (`busy`, `no-answer`, `failed`…). */
  agentLine: string | null;
}

/** What the identify actor returns: the card's look-up hash and the citizen, if registered. */
export interface IdentifyResult {
  idHash: string;
  idMasked: string;
  citizenId: string | null;
}

/** Result of checking a code or the current password. `locked`: this failure locked the card. */
export type VerifyResult = 'ok' | 'wrong' | 'locked';

/** Result of screening a proposed new PIN. */
export type ScreenResult = { ok: true; digest: string } | { ok: false; reason: WeakPinReason };

/** What a callback request records besides the caller (who is known to the actor, not to the flow). */
export interface CallbackInput {
  language: Language;
  reason: AgentReason;
  state: string;
  agentLine: string;
}

/** Result of queueing a callback: queued now, or this number already has an open request. */
export type CallbackResult = 'queued' | 'exists';

/** Limits the flow applies within one call. */
export const CALL_LIMITS = {
  silencesBeforeGoodbye: 2,
  invalidBeforeAgent: 3,
  failedVerificationsPerCall: 3,
  newPinAttempts: 3,
} as const;

/** Lengths of what callers key in. */
const ID_LENGTH = 18;
const SIX_DIGITS = /^[0-9]{6}$/;

const notProvided = (name: string) =>
  fromPromise<never, unknown>(async () => {
    throw new Error(`actor ${name} was not provided`);
  });

const digitsOf = (event: CallEvent): string => (event.type === 'DIGITS' ? event.digits : '');
const pressed =
  (key: string) =>
  ({ event }: { event: CallEvent }): boolean =>
    digitsOf(event) === key;

/** `*` repeats the state, `0` goes to an agent: in every menu and entry. */
const common = (self: string) => [
  { guard: pressed('*'), target: self, reenter: true, actions: 'clearNotice' as const },
  { guard: pressed('0'), target: '#call.agent', actions: ['clearNotice' as const, 'noteAskedForAgent' as const] },
];

const tooManyInvalid = ({ context }: { context: CallContext }) => context.invalid + 1 >= CALL_LIMITS.invalidBeforeAgent;

const invalidKey = [
  { guard: tooManyInvalid, target: '#call.agentAfterTrouble', actions: 'clearNotice' as const },
  { actions: 'noteInvalid' as const },
];

const silence = {
  NO_INPUT: [
    {
      guard: ({ context }: { context: CallContext }) => context.noInput + 1 >= CALL_LIMITS.silencesBeforeGoodbye,
      target: '#call.noInputGoodbye',
      actions: 'clearNotice' as const,
    },
    { actions: 'noteSilence' as const },
  ],
};

/** What was wrong with an entry of six digits (a code or a password): `#` alone, or how many keys came. */
const sixDigitNotice = (digits: string, id: 'code.length' | 'pin.length'): PromptRef =>
  digits === '#' ? 'input.hash-only' : promptRef(id, { entered: digits.length });

/** What was wrong with an ID entry that is not refused for its check digit alone. */
const idNotice = (digits: string): PromptRef => {
  if (digits === '#') return 'input.hash-only';
  if (idFromKeypad(digits).length !== ID_LENGTH) return promptRef('id.length', { entered: digits.length });
  return 'id.invalid';
};

/** Every check of an ID passes but the check digit: the caller may have mistyped one key, so it is read back. */
const onlyCheckDigitFails = ({ event }: { event: CallEvent }) => {
  const check = checkCitizenId(digitsOf(event));
  return !check.ok && check.problem === 'check-digit';
};

/** A six-digit entry refused before any check: `#` alone or the wrong number of keys; the caller hears which. */
const badSixDigitEntry = (id: 'code.length' | 'pin.length') => [
  { guard: tooManyInvalid, target: '#call.agentAfterTrouble', actions: { type: 'noteBadSixDigits' as const, params: { id, count: false } } },
  { actions: { type: 'noteBadSixDigits' as const, params: { id, count: true } } },
];

/** After a code or current password did not verify: the lock, the per-call limit, or another try saying why. */
const afterFailedCheck = (retry: 'enterCode' | 'enterCurrentPin', notice: PromptId) => [
  { guard: ({ event }: { event: { output: VerifyResult } }) => event.output === 'locked', target: 'cardLocked' },
  {
    guard: ({ context }: { context: CallContext }) => context.failedVerifications + 1 >= CALL_LIMITS.failedVerificationsPerCall,
    target: 'verificationFailed',
  },
  { target: retry, actions: { type: 'noteFailedCheck' as const, params: { notice } } },
];

/** How the agent line's result moves the call: answered, a callback offer, or (a withheld number) the next step and goodbye. */
const dialResult = {
  DIAL_RESULT: [
    {
      guard: ({ event }: { event: CallEvent }) => event.type === 'DIAL_RESULT' && ['completed', 'answered'].includes(event.status),
      target: 'transferred',
      actions: 'clearNotice' as const,
    },
    {
      guard: ({ event }: { event: CallEvent }) => event.type === 'DIAL_RESULT' && event.callerReachable,
      target: 'callbackOffer',
      actions: { type: 'noteAgentMissed' as const, params: { notice: [] as PromptId[] } },
    },
    { target: 'agentUnavailable', actions: { type: 'noteAgentMissed' as const, params: { notice: ['agent.unavailable'] as PromptId[] } } },
  ],
  // The caller hung up while being put through: the call counts as transferred, as it always has.
  HANGUP: { target: 'transferred', actions: 'clearNotice' as const },
};

const menuMeta = (prompts: PromptId[]): StateMeta => ({ prompts, gather: { kind: 'menu', timer: 'menu' } });
const entryMeta = (prompts: PromptId[], timer: GatherTimer, secret: GatherSpec['secret']): StateMeta => ({ prompts, gather: { kind: 'entry', timer, secret } });
/** Entering a state where the caller chooses: counters start again and the place is remembered. */
const arrive = (state: string) => ({ type: 'arrive' as const, params: { state } });

/** The whole call as a statechart: menus, identification, verification, the new password, agents and callbacks. */
export const callMachine = setup({
  types: {
    context: {} as CallContext,
    events: {} as CallEvent,
    input: {} as { language?: Language } | undefined,
  },
  actors: {
    identifyCaller: notProvided('identifyCaller') as unknown as ReturnType<typeof fromPromise<IdentifyResult, { idNumber: string }>>,
    sendCode: notProvided('sendCode') as unknown as ReturnType<
      typeof fromPromise<void, { idHash: string; citizenId: string | null; channel: 'sms' | 'email'; language: Language }>
    >,
    verifyCode: notProvided('verifyCode') as unknown as ReturnType<typeof fromPromise<VerifyResult, { idHash: string; code: string }>>,
    verifyCurrentPin: notProvided('verifyCurrentPin') as unknown as ReturnType<
      typeof fromPromise<VerifyResult, { idHash: string; citizenId: string | null; pin: string }>
    >,
    screenNewPin: notProvided('screenNewPin') as unknown as ReturnType<
      typeof fromPromise<ScreenResult, { citizenId: string; pin: string; verifiedBy: VerificationChannel | null }>
    >,
    commitNewPin: notProvided('commitNewPin') as unknown as ReturnType<
      typeof fromPromise<'saved' | 'mismatch', { citizenId: string; pin: string; firstDigest: string; verifiedBy: VerificationChannel; language: Language }>
    >,
    queueCallback: notProvided('queueCallback') as unknown as ReturnType<typeof fromPromise<CallbackResult, CallbackInput>>,
  },
  actions: {
    clearNotice: assign({ notice: () => [] as PromptRef[] }),
    resetCounters: assign({ noInput: 0, invalid: 0 }),
    noteAskedForAgent: assign({ agentReason: 'asked' as const }),
    arrive: assign((_, params: { state: string }) => ({ noInput: 0, invalid: 0, place: params.state })),
    noteInvalid: assign({ invalid: ({ context }) => context.invalid + 1, noInput: 0, notice: () => ['input.invalid'] as PromptId[] }),
    noteFailedCheck: assign(({ context }, params: { notice: PromptId }) => ({
      failedVerifications: context.failedVerifications + 1,
      notice: [params.notice] as PromptRef[],
    })),
    noteSilence: assign({ noInput: ({ context }) => context.noInput + 1, notice: () => ['input.none'] as PromptId[] }),
    noteBadSixDigits: assign(({ context, event }, params: { id: 'code.length' | 'pin.length'; count: boolean }) => ({
      invalid: params.count ? context.invalid + 1 : context.invalid,
      noInput: params.count ? 0 : context.noInput,
      notice: [sixDigitNotice(digitsOf(event), params.id)],
    })),
    noteAgentMissed: assign(({ event }, params: { notice: PromptId[] }) => ({
      agentLine: event.type === 'DIAL_RESULT' ? event.status : null,
      notice: params.notice as PromptRef[],
    })),
  },
}).createMachine({
  id: 'call',
  initial: 'welcome',
  context: ({ input }) => ({
    language: input?.language ?? 'zh-CN',
    languageChosen: false,
    notice: [],
    noInput: 0,
    invalid: 0,
    purpose: null,
    idHash: null,
    idMasked: null,
    citizenId: null,
    channel: null,
    verifiedBy: null,
    failedVerifications: 0,
    newPinAttempts: 0,
    firstPinDigest: null,
    idChecksFailed: 0,
    idEnding: null,
    place: 'welcome',
    agentReason: null,
    agentLine: null,
  }),
  on: {
    HANGUP: { target: '.abandoned', actions: 'clearNotice' },
  },
  states: {
    welcome: {
      tags: ['input'],
      meta: menuMeta(['welcome']),
      entry: arrive('welcome'),
      on: {
        DIGITS: [
          { guard: pressed('1'), target: 'mainMenu', actions: [assign({ language: 'zh-CN' as Language, languageChosen: true }), 'clearNotice'] },
          { guard: pressed('2'), target: 'mainMenu', actions: [assign({ language: 'en-US' as Language, languageChosen: true }), 'clearNotice'] },
          ...common('welcome'),
          ...invalidKey,
        ],
        NO_INPUT: { target: 'mainMenu', actions: [assign({ language: 'zh-CN' as Language, languageChosen: true }), 'clearNotice'] },
      },
    },
    // One broad menu, most used first: the password-settings menu of the first version is folded into it.
    mainMenu: {
      tags: ['input'],
      meta: menuMeta(['main.menu']),
      entry: arrive('mainMenu'),
      on: {
        DIGITS: [
          { guard: pressed('1'), target: 'enterId', actions: [assign({ purpose: 'reset' as const }), 'clearNotice'] },
          { guard: pressed('2'), target: 'enterId', actions: [assign({ purpose: 'change' as const }), 'clearNotice'] },
          { guard: pressed('3'), target: 'otherWays', actions: 'clearNotice' },
          { guard: pressed('4'), target: 'policyMenu', actions: 'clearNotice' },
          ...common('mainMenu'),
          ...invalidKey,
        ],
        ...silence,
      },
    },
    otherWays: {
      tags: ['input'],
      meta: menuMeta(['other.ways', 'after.info']),
      entry: arrive('otherWays'),
      on: {
        DIGITS: [{ guard: pressed('9'), target: 'mainMenu', actions: 'clearNotice' }, ...common('otherWays'), ...invalidKey],
        ...silence,
      },
    },
    // Basic medical insurance first: this is the medical-insurance line.
    policyMenu: {
      tags: ['input'],
      meta: menuMeta(['policy.menu']),
      entry: arrive('policyMenu'),
      on: {
        DIGITS: [
          { guard: pressed('1'), target: 'policyArticle23', actions: 'clearNotice' },
          { guard: pressed('2'), target: 'policyArticle12', actions: 'clearNotice' },
          { guard: pressed('3'), target: 'policyArticle35', actions: 'clearNotice' },
          { guard: pressed('4'), target: 'policyArticle44', actions: 'clearNotice' },
          { guard: pressed('5'), target: 'policyArticle53', actions: 'clearNotice' },
          { guard: pressed('9'), target: 'mainMenu', actions: 'clearNotice' },
          ...common('policyMenu'),
          ...invalidKey,
        ],
        ...silence,
      },
    },
    ...Object.fromEntries(
      (['12', '23', '35', '44', '53'] as const).map((article) => [
        `policyArticle${article}`,
        {
          tags: ['input'],
          meta: menuMeta([`policy.article${article}`, 'policy.after']),
          entry: arrive(`policyArticle${article}`),
          on: {
            DIGITS: [
              { guard: pressed('1'), target: 'policyMenu', actions: 'clearNotice' },
              { guard: pressed('9'), target: 'mainMenu', actions: 'clearNotice' },
              ...common(`policyArticle${article}`),
              ...invalidKey,
            ],
            ...silence,
          },
        },
      ]),
    ),
    enterId: {
      tags: ['input'],
      meta: entryMeta(['id.enter'], 'id', 'id'),
      entry: arrive('enterId'),
      on: {
        DIGITS: [
          ...common('enterId'),
          // A valid number ends the read-backs: their count and the ending read back are forgotten.
          { guard: ({ event }) => checkCitizenId(digitsOf(event)).ok, target: 'identifying', actions: ['clearNotice', assign({ idChecksFailed: 0, idEnding: null })] },
          {
            guard: ({ context, event }) => onlyCheckDigitFails({ event }) && context.idChecksFailed + 1 < CALL_LIMITS.invalidBeforeAgent,
            target: 'confirmIdEnding',
            actions: assign(({ context, event }) => {
              const ending = idFromKeypad(digitsOf(event)).slice(-4);
              return { idChecksFailed: context.idChecksFailed + 1, idEnding: ending, notice: [promptRef('id.ending', { last4: ending })] };
            }),
          },
          {
            guard: ({ context, event }) => tooManyInvalid({ context }) || onlyCheckDigitFails({ event }),
            target: '#call.agentAfterTrouble',
            actions: assign({ notice: ({ event }) => [idNotice(digitsOf(event))] }),
          },
          { actions: assign({ invalid: ({ context }) => context.invalid + 1, noInput: 0, notice: ({ event }) => [idNotice(digitsOf(event))] }) },
        ],
        ...silence,
      },
    },
    // An 18-character ID whose check digit fails is read back by its last four characters before anything else.
    confirmIdEnding: {
      tags: ['input'],
      meta: menuMeta(['id.ending.choice']),
      entry: arrive('confirmIdEnding'),
      on: {
        DIGITS: [
          // "It is right": such a number cannot be on any card (GB 11643), so only a person can help.
          { guard: pressed('1'), target: 'agent', actions: assign({ notice: () => ['id.unverifiable'] as PromptId[], agentReason: 'id-unverifiable' as const }) },
          { guard: pressed('2'), target: 'enterId', actions: 'clearNotice' },
          {
            guard: pressed('*'),
            target: 'confirmIdEnding',
            reenter: true,
            actions: assign({ notice: ({ context }) => [promptRef('id.ending', { last4: context.idEnding ?? '' })] }),
          },
          ...common('confirmIdEnding'),
          ...invalidKey,
        ],
        ...silence,
      },
    },
    identifying: {
      invoke: {
        src: 'identifyCaller',
        input: ({ event }) => {
          const check = checkCitizenId(digitsOf(event));
          return { idNumber: check.ok ? check.idNumber : '' };
        },
        onDone: [
          {
            guard: ({ context }) => context.purpose === 'change',
            target: 'enterCurrentPin',
            actions: assign(({ event }) => ({ idHash: event.output.idHash, idMasked: event.output.idMasked, citizenId: event.output.citizenId })),
          },
          {
            target: 'chooseChannel',
            actions: assign(({ event }) => ({ idHash: event.output.idHash, idMasked: event.output.idMasked, citizenId: event.output.citizenId })),
          },
        ],
        onError: 'trouble',
      },
    },
    chooseChannel: {
      tags: ['input'],
      meta: menuMeta(['verify.menu']),
      entry: arrive('chooseChannel'),
      on: {
        DIGITS: [
          { guard: pressed('1'), target: 'sendingCode', actions: [assign({ channel: 'sms' as const }), 'clearNotice'] },
          { guard: pressed('2'), target: 'sendingCode', actions: [assign({ channel: 'email' as const }), 'clearNotice'] },
          { guard: pressed('3'), target: 'noContactGuidance', actions: 'clearNotice' },
          ...common('chooseChannel'),
          ...invalidKey,
        ],
        ...silence,
      },
    },
    noContactGuidance: {
      tags: ['input'],
      meta: menuMeta(['verify.neither', 'after.info']),
      entry: arrive('noContactGuidance'),
      on: {
        DIGITS: [{ guard: pressed('9'), target: 'mainMenu', actions: 'clearNotice' }, ...common('noContactGuidance'), ...invalidKey],
        ...silence,
      },
    },
    sendingCode: {
      invoke: {
        src: 'sendCode',
        input: ({ context }) => ({
          idHash: context.idHash ?? '',
          citizenId: context.citizenId,
          channel: context.channel ?? 'sms',
          language: context.language,
        }),
        onDone: { target: 'enterCode', actions: assign({ notice: () => ['code.sent'] as PromptId[] }) },
        onError: 'trouble',
      },
    },
    enterCode: {
      tags: ['input'],
      meta: entryMeta(['code.enter'], 'code', 'code'),
      entry: arrive('enterCode'),
      on: {
        DIGITS: [
          ...common('enterCode'),
          { guard: pressed('9'), target: 'sendingCode', actions: 'clearNotice' },
          { guard: ({ event }) => SIX_DIGITS.test(digitsOf(event)), target: 'verifyingCode', actions: 'clearNotice' },
          ...badSixDigitEntry('code.length'),
        ],
        ...silence,
      },
    },
    verifyingCode: {
      invoke: {
        src: 'verifyCode',
        input: ({ context, event }) => ({ idHash: context.idHash ?? '', code: digitsOf(event as CallEvent) }),
        onDone: [
          {
            guard: ({ event }) => event.output === 'ok',
            target: 'enterNewPin',
            actions: assign(({ context }) => ({ verifiedBy: context.channel, notice: ['pin.verified'] as PromptId[] })),
          },
          ...afterFailedCheck('enterCode', 'code.wrong'),
        ],
        onError: 'trouble',
      },
    },
    enterCurrentPin: {
      tags: ['input'],
      meta: entryMeta(['current.enter'], 'pin', 'pin'),
      entry: arrive('enterCurrentPin'),
      on: {
        DIGITS: [
          ...common('enterCurrentPin'),
          { guard: ({ event }) => SIX_DIGITS.test(digitsOf(event)), target: 'verifyingCurrentPin', actions: 'clearNotice' },
          ...badSixDigitEntry('pin.length'),
        ],
        ...silence,
      },
    },
    verifyingCurrentPin: {
      invoke: {
        src: 'verifyCurrentPin',
        input: ({ context, event }) => ({ idHash: context.idHash ?? '', citizenId: context.citizenId, pin: digitsOf(event as CallEvent) }),
        onDone: [
          {
            guard: ({ event }) => event.output === 'ok',
            target: 'enterNewPin',
            actions: assign({ verifiedBy: 'current-password' as const, notice: () => ['pin.verified'] as PromptId[] }),
          },
          ...afterFailedCheck('enterCurrentPin', 'current.wrong'),
        ],
        onError: 'trouble',
      },
    },
    enterNewPin: {
      tags: ['input'],
      meta: entryMeta(['pin.enter'], 'pin', 'pin'),
      entry: [arrive('enterNewPin'), assign({ firstPinDigest: null })],
      on: {
        DIGITS: [
          ...common('enterNewPin'),
          { guard: ({ event }) => SIX_DIGITS.test(digitsOf(event)), target: 'screeningNewPin', actions: 'clearNotice' },
          ...badSixDigitEntry('pin.length'),
        ],
        ...silence,
      },
    },
    screeningNewPin: {
      invoke: {
        src: 'screenNewPin',
        input: ({ context, event }) => ({ citizenId: context.citizenId ?? '', pin: digitsOf(event as CallEvent), verifiedBy: context.verifiedBy }),
        onDone: [
          {
            guard: ({ event }) => event.output.ok,
            target: 'confirmNewPin',
            actions: assign(({ event }) => ({ firstPinDigest: event.output.ok ? event.output.digest : null, notice: [] as PromptRef[] })),
          },
          {
            guard: ({ context }) => context.newPinAttempts + 1 >= CALL_LIMITS.newPinAttempts,
            target: 'agentAfterTrouble',
            actions: assign(({ event }) => ({ notice: event.output.ok ? [] : ([`pin.weak.${event.output.reason}`] as PromptId[]) })),
          },
          {
            target: 'enterNewPin',
            actions: assign(({ context, event }) => ({
              newPinAttempts: context.newPinAttempts + 1,
              notice: event.output.ok ? [] : ([`pin.weak.${event.output.reason}`] as PromptId[]),
            })),
          },
        ],
        onError: 'trouble',
      },
    },
    confirmNewPin: {
      tags: ['input'],
      meta: entryMeta(['pin.confirm'], 'pin', 'pin'),
      entry: arrive('confirmNewPin'),
      on: {
        DIGITS: [
          ...common('confirmNewPin'),
          { guard: ({ event }) => SIX_DIGITS.test(digitsOf(event)), target: 'committingNewPin', actions: 'clearNotice' },
          ...badSixDigitEntry('pin.length'),
        ],
        ...silence,
      },
    },
    committingNewPin: {
      invoke: {
        src: 'commitNewPin',
        input: ({ context, event }) => ({
          citizenId: context.citizenId ?? '',
          pin: digitsOf(event as CallEvent),
          firstDigest: context.firstPinDigest ?? '',
          verifiedBy: context.verifiedBy ?? 'sms',
          language: context.language,
        }),
        onDone: [
          { guard: ({ event }) => event.output === 'saved', target: 'passwordChanged', actions: assign({ firstPinDigest: null }) },
          {
            guard: ({ context }) => context.newPinAttempts + 1 >= CALL_LIMITS.newPinAttempts,
            target: 'agentAfterTrouble',
            actions: assign({ notice: () => ['pin.mismatch'] as PromptId[] }),
          },
          {
            target: 'enterNewPin',
            actions: assign(({ context }) => ({ newPinAttempts: context.newPinAttempts + 1, notice: ['pin.mismatch'] as PromptRef[] })),
          },
        ],
        onError: 'trouble',
      },
    },
    trouble: {
      tags: ['input'],
      meta: menuMeta(['trouble.apology']),
      entry: arrive('trouble'),
      on: {
        DIGITS: [...common('trouble'), ...invalidKey],
        NO_INPUT: { target: 'goodbye', actions: 'clearNotice' },
      },
    },
    // Putting the caller through: the line reports how the agent's leg ended as DIAL_RESULT (a turn like any other).
    agent: {
      tags: ['input'],
      meta: { prompts: ['agent.transfer'], end: 'dial' } satisfies StateMeta,
      on: dialResult,
    },
    agentAfterTrouble: {
      tags: ['input'],
      meta: { prompts: ['agent.too-many-tries', 'agent.transfer'], end: 'dial' } satisfies StateMeta,
      entry: assign({ agentReason: 'too-many-tries' as const }),
      on: dialResult,
    },
    // Nobody answered: a callback on this number, or the agent again. Out of here without one, the call is agent-unavailable.
    callbackOffer: {
      tags: ['input'],
      meta: menuMeta(['callback.offer']),
      entry: 'resetCounters',
      on: {
        DIGITS: [
          { guard: pressed('1'), target: 'queueingCallback', actions: 'clearNotice' },
          { guard: pressed('0'), target: 'agent', actions: 'clearNotice' },
          { guard: pressed('*'), target: 'callbackOffer', reenter: true, actions: 'clearNotice' },
          { guard: tooManyInvalid, target: 'agentUnavailable', actions: assign({ notice: () => ['input.invalid'] as PromptId[] }) },
          { actions: 'noteInvalid' },
        ],
        NO_INPUT: [
          {
            guard: ({ context }) => context.noInput + 1 >= CALL_LIMITS.silencesBeforeGoodbye,
            target: 'agentUnavailable',
            actions: assign({ notice: () => ['input.none'] as PromptId[] }),
          },
          { actions: 'noteSilence' },
        ],
        HANGUP: { target: 'agentUnavailable', actions: 'clearNotice' },
      },
    },
    queueingCallback: {
      invoke: {
        src: 'queueCallback',
        input: ({ context }) => ({ language: context.language, reason: context.agentReason ?? 'asked', state: context.place, agentLine: context.agentLine ?? 'busy' }),
        onDone: [{ guard: ({ event }) => event.output === 'queued', target: 'callbackQueued' }, { target: 'callbackExists' }],
        onError: 'trouble',
      },
    },
    passwordChanged: { type: 'final', meta: { prompts: ['pin.changed', 'goodbye'], end: 'hangup', outcome: 'password-changed' } satisfies StateMeta },
    transferred: { type: 'final', meta: { prompts: [], end: 'hangup', outcome: 'transferred' } satisfies StateMeta },
    callbackQueued: { type: 'final', meta: { prompts: ['callback.queued', 'goodbye'], end: 'hangup', outcome: 'callback-requested' } satisfies StateMeta },
    callbackExists: { type: 'final', meta: { prompts: ['callback.exists', 'goodbye'], end: 'hangup', outcome: 'callback-requested' } satisfies StateMeta },
    agentUnavailable: { type: 'final', meta: { prompts: ['next.step', 'goodbye'], end: 'hangup', outcome: 'agent-unavailable' } satisfies StateMeta },
    goodbye: { type: 'final', meta: { prompts: ['next.step', 'goodbye'], end: 'hangup', outcome: 'goodbye' } satisfies StateMeta },
    noInputGoodbye: { type: 'final', meta: { prompts: ['input.none', 'next.step', 'goodbye'], end: 'hangup', outcome: 'no-input' } satisfies StateMeta },
    verificationFailed: { type: 'final', meta: { prompts: ['verify.failed'], end: 'hangup', outcome: 'verification-failed' } satisfies StateMeta },
    cardLocked: { type: 'final', meta: { prompts: ['card.locked'], end: 'hangup', outcome: 'locked' } satisfies StateMeta },
    abandoned: { type: 'final', meta: { prompts: [], end: 'hangup', outcome: 'abandoned' } satisfies StateMeta },
  },
});
