import { assign, fromPromise, setup } from 'xstate';
import type { Language, PromptId } from '../prompts/catalogue.ts';
import { checkCitizenId } from '../src/domain/citizen-id.ts';
import type { WeakPinReason } from '../src/domain/new-pin.policy.ts';

/** How the caller proved who they are. */
export type VerificationChannel = 'sms' | 'email' | 'current-password';

/** Where a call ended, as supervisors and QA name it. */
export type CallOutcome = 'password-changed' | 'transferred' | 'goodbye' | 'locked' | 'verification-failed' | 'abandoned' | 'no-input';

/** What a gathering state expects from the keypad. */
export interface GatherSpec {
  /** `menu`: one key; `entry`: several keys ended with `#`. */
  kind: 'menu' | 'entry';
  /** What the keys mean for masking: a PIN or code is never shown or stored. */
  secret?: 'pin' | 'code' | 'id';
}

/** What a state tells the renderer: prompts to play, then gather, dial or hang up. */
export interface StateMeta {
  prompts: PromptId[];
  gather?: GatherSpec;
  end?: 'hangup' | 'dial';
  outcome?: CallOutcome;
}

/** Events the telephony side sends into a call. */
export type CallEvent = { type: 'DIGITS'; digits: string } | { type: 'NO_INPUT' } | { type: 'HANGUP' };

/** The call's remembered facts; never a PIN or a code (the first new-PIN entry is held outside, in the call's secrets). */
export interface CallContext {
  language: Language;
  /** False until the caller picks a language (or the welcome times out): until then the line speaks both. */
  languageChosen: boolean;
  notice: PromptId[];
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

/** Limits the flow applies within one call. */
export const CALL_LIMITS = {
  silencesBeforeGoodbye: 2,
  invalidBeforeAgent: 3,
  failedVerificationsPerCall: 3,
  newPinAttempts: 3,
} as const;

const notProvided = (name: string) =>
  fromPromise<never, unknown>(async () => {
    throw new Error(`actor ${name} was not provided`);
  });

const digitsOf = (event: CallEvent): string => (event.type === 'DIGITS' ? event.digits : '');
const pressed =
  (key: string) =>
  ({ event }: { event: CallEvent }): boolean =>
    digitsOf(event) === key;

const common = (self: string) => [
  { guard: pressed('*'), target: self, reenter: true, actions: 'clearNotice' as const },
  { guard: pressed('0'), target: '#call.agent', actions: 'clearNotice' as const },
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

/** After a code or current password did not verify: the lock, the per-call limit, or another try saying why. */
const afterFailedCheck = (retry: 'enterCode' | 'enterCurrentPin', notice: PromptId) => [
  { guard: ({ event }: { event: { output: VerifyResult } }) => event.output === 'locked', target: 'cardLocked' },
  {
    guard: ({ context }: { context: CallContext }) => context.failedVerifications + 1 >= CALL_LIMITS.failedVerificationsPerCall,
    target: 'verificationFailed',
  },
  { target: retry, actions: { type: 'noteFailedCheck' as const, params: { notice } } },
];

const menuMeta = (prompts: PromptId[]): StateMeta => ({ prompts, gather: { kind: 'menu' } });

/** The whole call as a statechart: menus, identification, verification and the new password. */
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
  },
  actions: {
    clearNotice: assign({ notice: () => [] as PromptId[] }),
    resetCounters: assign({ noInput: 0, invalid: 0 }),
    noteInvalid: assign({ invalid: ({ context }) => context.invalid + 1, noInput: 0, notice: () => ['input.invalid'] as PromptId[] }),
    noteFailedCheck: assign(({ context }, params: { notice: PromptId }) => ({
      failedVerifications: context.failedVerifications + 1,
      notice: [params.notice],
    })),
    noteSilence: assign({ noInput: ({ context }) => context.noInput + 1, notice: () => ['input.none'] as PromptId[] }),
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
  }),
  on: {
    HANGUP: { target: '.abandoned', actions: 'clearNotice' },
  },
  states: {
    welcome: {
      tags: ['input'],
      meta: menuMeta(['welcome']),
      entry: 'resetCounters',
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
    mainMenu: {
      tags: ['input'],
      meta: menuMeta(['main.menu']),
      entry: 'resetCounters',
      on: {
        DIGITS: [
          { guard: pressed('1'), target: 'passwordMenu', actions: 'clearNotice' },
          { guard: pressed('2'), target: 'otherWays', actions: 'clearNotice' },
          { guard: pressed('3'), target: 'policyMenu', actions: 'clearNotice' },
          ...common('mainMenu'),
          ...invalidKey,
        ],
        ...silence,
      },
    },
    passwordMenu: {
      tags: ['input'],
      meta: menuMeta(['password.menu']),
      entry: 'resetCounters',
      on: {
        DIGITS: [
          { guard: pressed('1'), target: 'enterId', actions: [assign({ purpose: 'reset' as const }), 'clearNotice'] },
          { guard: pressed('2'), target: 'enterId', actions: [assign({ purpose: 'change' as const }), 'clearNotice'] },
          { guard: pressed('9'), target: 'mainMenu', actions: 'clearNotice' },
          ...common('passwordMenu'),
          ...invalidKey,
        ],
        ...silence,
      },
    },
    otherWays: {
      tags: ['input'],
      meta: menuMeta(['other.ways', 'after.info']),
      entry: 'resetCounters',
      on: {
        DIGITS: [{ guard: pressed('9'), target: 'mainMenu', actions: 'clearNotice' }, ...common('otherWays'), ...invalidKey],
        ...silence,
      },
    },
    policyMenu: {
      tags: ['input'],
      meta: menuMeta(['policy.menu']),
      entry: 'resetCounters',
      on: {
        DIGITS: [
          { guard: pressed('1'), target: 'policyArticle12', actions: 'clearNotice' },
          { guard: pressed('2'), target: 'policyArticle23', actions: 'clearNotice' },
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
          entry: 'resetCounters',
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
      meta: { prompts: ['id.enter'], gather: { kind: 'entry', secret: 'id' } } satisfies StateMeta,
      entry: 'resetCounters',
      on: {
        DIGITS: [
          ...common('enterId'),
          { guard: ({ event }) => checkCitizenId(digitsOf(event)).ok, target: 'identifying', actions: 'clearNotice' },
          { guard: tooManyInvalid, target: '#call.agentAfterTrouble', actions: assign({ notice: () => ['id.invalid'] as PromptId[] }) },
          { actions: assign({ invalid: ({ context }) => context.invalid + 1, noInput: 0, notice: () => ['id.invalid'] as PromptId[] }) },
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
      entry: 'resetCounters',
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
      entry: 'resetCounters',
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
      meta: { prompts: ['code.enter'], gather: { kind: 'entry', secret: 'code' } } satisfies StateMeta,
      entry: 'resetCounters',
      on: {
        DIGITS: [
          ...common('enterCode'),
          { guard: pressed('9'), target: 'sendingCode', actions: 'clearNotice' },
          { guard: ({ event }) => /^[0-9]{6}$/.test(digitsOf(event)), target: 'verifyingCode', actions: 'clearNotice' },
          { guard: tooManyInvalid, target: '#call.agentAfterTrouble', actions: 'clearNotice' },
          { actions: assign({ invalid: ({ context }) => context.invalid + 1, noInput: 0, notice: () => ['input.six-digits'] as PromptId[] }) },
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
      meta: { prompts: ['current.enter'], gather: { kind: 'entry', secret: 'pin' } } satisfies StateMeta,
      entry: 'resetCounters',
      on: {
        DIGITS: [
          ...common('enterCurrentPin'),
          { guard: ({ event }) => /^[0-9]{6}$/.test(digitsOf(event)), target: 'verifyingCurrentPin', actions: 'clearNotice' },
          { guard: tooManyInvalid, target: '#call.agentAfterTrouble', actions: 'clearNotice' },
          { actions: assign({ invalid: ({ context }) => context.invalid + 1, noInput: 0, notice: () => ['input.six-digits'] as PromptId[] }) },
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
      meta: { prompts: ['pin.enter'], gather: { kind: 'entry', secret: 'pin' } } satisfies StateMeta,
      entry: ['resetCounters', assign({ firstPinDigest: null })],
      on: {
        DIGITS: [
          ...common('enterNewPin'),
          { guard: ({ event }) => /^[0-9]+$/.test(digitsOf(event)), target: 'screeningNewPin', actions: 'clearNotice' },
          ...invalidKey,
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
            actions: assign(({ event }) => ({ firstPinDigest: event.output.ok ? event.output.digest : null, notice: [] as PromptId[] })),
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
      meta: { prompts: ['pin.confirm'], gather: { kind: 'entry', secret: 'pin' } } satisfies StateMeta,
      entry: 'resetCounters',
      on: {
        DIGITS: [
          ...common('confirmNewPin'),
          { guard: ({ event }) => /^[0-9]+$/.test(digitsOf(event)), target: 'committingNewPin', actions: 'clearNotice' },
          ...invalidKey,
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
            actions: assign(({ context }) => ({ newPinAttempts: context.newPinAttempts + 1, notice: ['pin.mismatch'] as PromptId[] })),
          },
        ],
        onError: 'trouble',
      },
    },
    trouble: {
      tags: ['input'],
      meta: menuMeta(['trouble.apology']),
      entry: 'resetCounters',
      on: {
        DIGITS: [...common('trouble'), ...invalidKey],
        NO_INPUT: { target: 'goodbye', actions: 'clearNotice' },
      },
    },
    passwordChanged: { type: 'final', meta: { prompts: ['pin.changed', 'goodbye'], end: 'hangup', outcome: 'password-changed' } satisfies StateMeta },
    agent: { type: 'final', meta: { prompts: ['agent.transfer'], end: 'dial', outcome: 'transferred' } satisfies StateMeta },
    agentAfterTrouble: {
      type: 'final',
      meta: { prompts: ['agent.too-many-tries', 'agent.transfer'], end: 'dial', outcome: 'transferred' } satisfies StateMeta,
    },
    goodbye: { type: 'final', meta: { prompts: ['goodbye'], end: 'hangup', outcome: 'goodbye' } satisfies StateMeta },
    noInputGoodbye: { type: 'final', meta: { prompts: ['input.none', 'goodbye'], end: 'hangup', outcome: 'no-input' } satisfies StateMeta },
    verificationFailed: { type: 'final', meta: { prompts: ['verify.failed'], end: 'hangup', outcome: 'verification-failed' } satisfies StateMeta },
    cardLocked: { type: 'final', meta: { prompts: ['card.locked'], end: 'hangup', outcome: 'locked' } satisfies StateMeta },
    abandoned: { type: 'final', meta: { prompts: [], end: 'hangup', outcome: 'abandoned' } satisfies StateMeta },
  },
});
