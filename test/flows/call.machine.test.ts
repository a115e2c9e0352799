import { expect } from 'chai';
import { createActor, fromPromise, waitFor, type Actor, type Snapshot } from 'xstate';
import {
  CALL_LIMITS,
  callMachine,
  type CallbackInput,
  type CallbackResult,
  type CallContext,
  type CallEvent,
  type IdentifyResult,
  type ScreenResult,
  type StateMeta,
  type VerificationChannel,
  type VerifyResult,
} from '../../flows/call.machine.ts';
import { PROMPTS, promptRef, type Language, type PromptRef } from '../../prompts/catalogue.ts';
import type { WeakPinReason } from '../../src/domain/new-pin.policy.ts';

// The secret digits below appear nowhere else in a snapshot (not in the ID, the hashes, the masked ID or
// the citizen id), so finding one in a persisted snapshot means it leaked.

const ID = '11010519491231002X';
const ID_KEYED = '11010519491231002*';
/** The ID above with its last character mistyped: every check passes but the check digit. */
const ID_BAD_CHECK = '110105194912310021';
const OTHER_ID = '440524188001010014';
const CURRENT_PIN = '135790';
const WRONG_PIN = '246802';
const NEW_PIN = '258036';
const OTHER_NEW_PIN = '369147';
const GOOD_CODE = '482915';
const BAD_CODE = '604173';

/** Independent GB 11643 check character, for building fixtures (not the code under test). */
function withCheckCharacter(first17: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((acc, d, i) => acc + Number(d) * weights[i], 0);
  return first17 + '10X98765432'[sum % 11];
}

type ActorName = 'identifyCaller' | 'sendCode' | 'verifyCode' | 'verifyCurrentPin' | 'screenNewPin' | 'commitNewPin' | 'queueCallback';

interface Inputs {
  identifyCaller: { idNumber: string };
  sendCode: { idHash: string; citizenId: string | null; channel: 'sms' | 'email'; language: Language };
  verifyCode: { idHash: string; code: string };
  verifyCurrentPin: { idHash: string; citizenId: string | null; pin: string };
  screenNewPin: { citizenId: string; pin: string; verifiedBy: VerificationChannel | null };
  commitNewPin: { citizenId: string; pin: string; firstDigest: string; verifiedBy: VerificationChannel; language: Language };
  queueCallback: CallbackInput;
}

interface Outputs {
  identifyCaller: IdentifyResult;
  sendCode: void;
  verifyCode: VerifyResult;
  verifyCurrentPin: VerifyResult;
  screenNewPin: ScreenResult;
  commitNewPin: 'saved' | 'mismatch';
  queueCallback: CallbackResult;
}

type Behaviour = { [K in ActorName]: (input: Inputs[K]) => Promise<Outputs[K]> };

const hang = (): Promise<never> => new Promise<never>(() => undefined);
const fail = async (): Promise<never> => {
  throw new Error('database went away');
};

/**
 * One call walked through the pure statechart with small fake actors. Every settle checks the
 * persisted snapshot: no running children and none of the PINs or codes the test has entered.
 */
class Walk {
  readonly calls: { [K in ActorName]: Inputs[K][] } = {
    identifyCaller: [],
    sendCode: [],
    verifyCode: [],
    verifyCurrentPin: [],
    screenNewPin: [],
    commitNewPin: [],
    queueCallback: [],
  };
  /** PINs and codes the caller keyed in during this walk. */
  readonly secrets: string[] = [];
  /** The resting states reached, in order. */
  readonly visited: string[] = [];
  readonly actor: Actor<typeof callMachine>;
  readonly machine: typeof callMachine;
  private readonly digests = new Map<string, string>();

  constructor(overrides: Partial<Behaviour> = {}, options: { language?: Language; snapshot?: Snapshot<unknown> } = {}) {
    const defaults: Behaviour = {
      identifyCaller: async () => ({ idHash: 'hash-of-card', idMasked: '1101**********002X', citizenId: 'citizen-a' }),
      sendCode: async () => undefined,
      verifyCode: async ({ code }) => (code === GOOD_CODE ? 'ok' : 'wrong'),
      verifyCurrentPin: async ({ pin }) => (pin === CURRENT_PIN ? 'ok' : 'wrong'),
      screenNewPin: async ({ pin }) => {
        const digest = `digest-${String.fromCharCode(97 + this.digests.size)}`;
        this.digests.set(digest, pin);
        return { ok: true, digest };
      },
      commitNewPin: async ({ pin, firstDigest }) => (this.digests.get(firstDigest) === pin ? 'saved' : 'mismatch'),
      queueCallback: async () => 'queued',
    };
    const b: Behaviour = { ...defaults, ...overrides };
    const recorded = <K extends ActorName>(name: K) =>
      fromPromise<Outputs[K], Inputs[K]>(async ({ input }) => {
        this.calls[name].push(input);
        return b[name](input);
      });
    this.machine = callMachine.provide({
      actors: {
        identifyCaller: recorded('identifyCaller'),
        sendCode: recorded('sendCode'),
        verifyCode: recorded('verifyCode'),
        verifyCurrentPin: recorded('verifyCurrentPin'),
        screenNewPin: recorded('screenNewPin'),
        commitNewPin: recorded('commitNewPin'),
        queueCallback: recorded('queueCallback'),
      },
    });
    this.actor = createActor(this.machine, {
      input: options.language ? { language: options.language } : undefined,
      snapshot: options.snapshot,
    });
    this.actor.start();
    this.visited.push(this.state);
  }

  get state(): string {
    return String(this.actor.getSnapshot().value);
  }

  get context(): CallContext {
    return this.actor.getSnapshot().context;
  }

  get meta(): StateMeta | undefined {
    return metaOf(this.state);
  }

  get done(): boolean {
    return this.actor.getSnapshot().status === 'done';
  }

  /** Sends keys and waits until the call rests again (waiting for keys, or ended). */
  async press(digits: string): Promise<this> {
    this.send(digits);
    await this.settle();
    return this;
  }

  /** Sends keys without waiting (to catch the call while an actor is still running). */
  send(digits: string): void {
    const secret = this.meta?.gather?.secret;
    if ((secret === 'pin' || secret === 'code') && /^[0-9]{4,}$/.test(digits)) this.secrets.push(digits);
    this.actor.send({ type: 'DIGITS', digits });
  }

  async keys(...sequence: Array<string | CallEvent>): Promise<this> {
    for (const step of sequence) {
      if (typeof step === 'string') await this.press(step);
      else {
        this.actor.send(step);
        await this.settle();
      }
    }
    return this;
  }

  /** The agent line reports how the transfer ended. */
  async dial(status: string, callerReachable = true): Promise<this> {
    return this.keys({ type: 'DIAL_RESULT', status, callerReachable });
  }

  async silence(): Promise<this> {
    this.actor.send({ type: 'NO_INPUT' });
    await this.settle();
    return this;
  }

  async hangup(): Promise<this> {
    this.actor.send({ type: 'HANGUP' });
    await this.settle();
    return this;
  }

  async settle(): Promise<void> {
    await waitFor(this.actor, (s) => s.status !== 'active' || s.hasTag('input'), { timeout: 2000 });
    this.visited.push(this.state);
    this.expectCleanSnapshot();
  }

  persisted(): { json: string; children: Record<string, unknown> } {
    const snapshot = this.actor.getPersistedSnapshot() as { children?: Record<string, unknown> };
    return { json: JSON.stringify(snapshot), children: snapshot.children ?? {} };
  }

  expectCleanSnapshot(): void {
    const { json, children } = this.persisted();
    expect(children, `running children persisted at ${this.state}`).to.deep.equal({});
    for (const secret of this.secrets) expect(json, `secret ${secret} persisted at ${this.state}`).not.to.contain(secret);
  }

  /** A fresh actor restored from this call's persisted snapshot, as the next webhook would do. */
  restored(overrides: Partial<Behaviour> = {}): Walk {
    const snapshot = JSON.parse(JSON.stringify(this.actor.getPersistedSnapshot())) as Snapshot<unknown>;
    const next = new Walk(overrides, { snapshot });
    next.secrets.push(...this.secrets);
    next.digests.clear();
    for (const [k, v] of this.digests) next.digests.set(k, v);
    return next;
  }
}

function metaOf(state: string): StateMeta | undefined {
  return callMachine.root.states[state]?.meta as StateMeta | undefined;
}

/** The agent line was busy and the caller's number can be called back. */
const BUSY: CallEvent = { type: 'DIAL_RESULT', status: 'busy', callerReachable: true };

/** Keys (and line events) that bring a fresh call (in English) to each gathering state. */
const ROUTES: Record<string, Array<string | CallEvent>> = {
  welcome: [],
  mainMenu: ['2'],
  otherWays: ['2', '3'],
  policyMenu: ['2', '4'],
  policyArticle23: ['2', '4', '1'],
  policyArticle12: ['2', '4', '2'],
  policyArticle35: ['2', '4', '3'],
  policyArticle44: ['2', '4', '4'],
  policyArticle53: ['2', '4', '5'],
  enterId: ['2', '1'],
  confirmIdEnding: ['2', '1', ID_BAD_CHECK],
  chooseChannel: ['2', '1', ID_KEYED],
  noContactGuidance: ['2', '1', ID_KEYED, '3'],
  enterCode: ['2', '1', ID_KEYED, '1'],
  enterCurrentPin: ['2', '2', ID_KEYED],
  enterNewPin: ['2', '2', ID_KEYED, CURRENT_PIN],
  confirmNewPin: ['2', '2', ID_KEYED, CURRENT_PIN, NEW_PIN],
  callbackOffer: ['2', '0', BUSY],
};

/** An entry each gathering state refuses, and the notice it gives. */
const INVALID: Record<string, { digits: string; notice: PromptRef }> = {
  welcome: { digits: '7', notice: 'input.invalid' },
  mainMenu: { digits: '7', notice: 'input.invalid' },
  otherWays: { digits: '7', notice: 'input.invalid' },
  policyMenu: { digits: '7', notice: 'input.invalid' },
  policyArticle12: { digits: '7', notice: 'input.invalid' },
  policyArticle23: { digits: '7', notice: 'input.invalid' },
  policyArticle35: { digits: '7', notice: 'input.invalid' },
  policyArticle44: { digits: '7', notice: 'input.invalid' },
  policyArticle53: { digits: '7', notice: 'input.invalid' },
  enterId: { digits: '1234567', notice: promptRef('id.length', { entered: 7 }) },
  confirmIdEnding: { digits: '7', notice: 'input.invalid' },
  chooseChannel: { digits: '7', notice: 'input.invalid' },
  noContactGuidance: { digits: '7', notice: 'input.invalid' },
  enterCode: { digits: '12345', notice: promptRef('code.length', { entered: 5 }) },
  enterCurrentPin: { digits: '12345', notice: promptRef('pin.length', { entered: 5 }) },
  enterNewPin: { digits: '12*', notice: promptRef('pin.length', { entered: 3 }) },
  confirmNewPin: { digits: '12*', notice: promptRef('pin.length', { entered: 3 }) },
  callbackOffer: { digits: '7', notice: 'input.invalid' },
};

/** Where each gathering state goes when it gives up (too many invalid entries, silence, a hang-up): the callback offer, whose agents are busy, ends instead. */
const GIVE_UP: Record<string, { invalid: string; silence: string; hangup: string }> = {
  callbackOffer: { invalid: 'agentUnavailable', silence: 'agentUnavailable', hangup: 'agentUnavailable' },
};
const giveUp = (state: string) => GIVE_UP[state] ?? { invalid: 'agentAfterTrouble', silence: 'noInputGoodbye', hangup: 'abandoned' };

async function walkTo(state: string, overrides: Partial<Behaviour> = {}): Promise<Walk> {
  const walk = new Walk(overrides);
  await walk.keys(...ROUTES[state]);
  expect(walk.state, `route to ${state}`).to.equal(state);
  return walk;
}

function allStates(): Array<[string, (typeof callMachine.root.states)[string]]> {
  return Object.entries(callMachine.root.states);
}

const GATHERING = Object.keys(ROUTES);

describe('call flow (pure statechart, fake actors)', () => {
  describe('shape of the chart', () => {
    it("every prompt id a state names in meta.prompts exists in the catalogue", () => {
      for (const [name, node] of allStates()) {
        const meta = node.meta as StateMeta | undefined;
        for (const id of meta?.prompts ?? []) expect(PROMPTS, `${name} names ${id}`).to.have.property(id);
      }
    });

    it('every final state names an outcome and how the call ends', () => {
      const finals = allStates().filter(([, node]) => node.type === 'final');
      expect(finals.map(([name]) => name)).to.include.members([
        'passwordChanged',
        'transferred',
        'callbackQueued',
        'callbackExists',
        'agentUnavailable',
        'goodbye',
        'noInputGoodbye',
        'verificationFailed',
        'cardLocked',
        'abandoned',
      ]);
      for (const [name, node] of finals) {
        const meta = node.meta as StateMeta | undefined;
        expect(meta?.outcome, `${name} outcome`).to.be.a('string');
        expect(meta?.end, `${name} end`).to.be.oneOf(['hangup', 'dial']);
      }
    });

    it('every state waiting for the line either gathers keys or dials the agent, and every other non-final state runs an actor', () => {
      for (const [name, node] of allStates()) {
        if (node.type === 'final') continue;
        const meta = node.meta as StateMeta | undefined;
        if (node.tags.includes('input')) expect(Boolean(meta?.gather) !== (meta?.end === 'dial'), `${name}: gathers or dials`).to.equal(true);
        else expect(node.invoke.length, `${name} invokes`).to.be.greaterThan(0);
      }
    });

    it('every gathering state names its own timer: one key in menus, the ID, codes and passwords each their own', () => {
      const timers = Object.fromEntries(
        allStates()
          .filter(([, node]) => (node.meta as StateMeta | undefined)?.gather)
          .map(([name, node]) => [name, (node.meta as StateMeta).gather!.timer]),
      );
      for (const [name, node] of allStates()) {
        const gather = (node.meta as StateMeta | undefined)?.gather;
        if (gather?.kind === 'menu') expect(timers[name], name).to.equal('menu');
      }
      expect(timers).to.include({ enterId: 'id', enterCode: 'code', enterCurrentPin: 'pin', enterNewPin: 'pin', confirmNewPin: 'pin', confirmIdEnding: 'menu', callbackOffer: 'menu' });
    });

    it('every menu offers at most five choices besides the keys that work everywhere (* repeat, 0 agent, 9 back)', () => {
      const context = callMachine.getInitialSnapshot(null as never).context;
      const offered = (node: (typeof callMachine.root.states)[string]) =>
        ['1', '2', '3', '4', '5', '6', '7', '8', '#'].filter((key) =>
          (node.transitions.get('DIGITS') ?? []).some((t) => t.target && typeof t.guard === 'function' && (t.guard as (a: unknown) => boolean)({ context, event: { type: 'DIGITS', digits: key } })),
        );
      for (const [name, node] of allStates()) {
        if ((node.meta as StateMeta | undefined)?.gather?.kind !== 'menu') continue;
        expect(offered(node).length, `${name} offers ${offered(node).join(', ')}`).to.be.at.most(5);
      }
      expect(offered(callMachine.root.states.mainMenu)).to.deep.equal(['1', '2', '3', '4']);
    });

    it('the walk tables of these tests cover every gathering state except the trouble apology', () => {
      const gathering = allStates()
        .filter(([, node]) => (node.meta as StateMeta | undefined)?.gather)
        .map(([name]) => name);
      expect([...gathering].sort()).to.deep.equal([...GATHERING, 'trouble'].sort());
    });

    it('every weak-PIN reason has its own prompt', () => {
      const reasons: WeakPinReason[] = ['format', 'all-same', 'sequence', 'birth-date', 'id-tail', 'same-as-current'];
      for (const reason of reasons) expect(PROMPTS).to.have.property(`pin.weak.${reason}`);
    });

    it('an actor that was not provided fails the turn into the trouble apology rather than crashing', async () => {
      const actor = createActor(callMachine, { input: undefined }).start();
      for (const digits of ['1', '1', ID_KEYED]) actor.send({ type: 'DIGITS', digits });
      await waitFor(actor, (s) => s.hasTag('input'), { timeout: 2000 });
      expect(actor.getSnapshot().value).to.equal('trouble');
    });
  });

  describe('welcome', () => {
    it('a call starts at the bilingual welcome in Mandarin, waiting for one key', () => {
      const walk = new Walk();
      expect(walk.state).to.equal('welcome');
      expect(walk.context.language).to.equal('zh-CN');
      expect(walk.meta).to.deep.include({ prompts: ['welcome'], gather: { kind: 'menu', timer: 'menu' } });
      expect(walk.actor.getSnapshot().hasTag('input')).to.equal(true);
    });

    it('when the caller presses 1, the main menu is in Mandarin', async () => {
      const walk = await new Walk().press('1');
      expect(walk.state).to.equal('mainMenu');
      expect(walk.context.language).to.equal('zh-CN');
      expect(walk.context.notice).to.deep.equal([]);
    });

    it('when the caller presses 2, the main menu is in English', async () => {
      const walk = await new Walk().press('2');
      expect(walk.state).to.equal('mainMenu');
      expect(walk.context.language).to.equal('en-US');
    });

    it('when the caller says nothing at the welcome, the main menu plays in Mandarin without a notice', async () => {
      const walk = await new Walk().silence();
      expect(walk.state).to.equal('mainMenu');
      expect(walk.context.language).to.equal('zh-CN');
      expect(walk.context.notice).to.deep.equal([]);
      expect(walk.context.noInput).to.equal(0);
    });

    it('a call started with English as input language still defaults to Mandarin on silence', async () => {
      const walk = new Walk({}, { language: 'en-US' });
      expect(walk.context.language).to.equal('en-US');
      await walk.silence();
      expect(walk.context.language).to.equal('zh-CN');
    });
  });

  describe('menus and their choices', () => {
    const choices: Array<{ from: string; key: string; to: string; context?: Partial<CallContext> }> = [
      { from: 'mainMenu', key: '1', to: 'enterId', context: { purpose: 'reset' } },
      { from: 'mainMenu', key: '2', to: 'enterId', context: { purpose: 'change' } },
      { from: 'mainMenu', key: '3', to: 'otherWays' },
      { from: 'mainMenu', key: '4', to: 'policyMenu' },
      { from: 'otherWays', key: '9', to: 'mainMenu' },
      { from: 'policyMenu', key: '1', to: 'policyArticle23' },
      { from: 'policyMenu', key: '2', to: 'policyArticle12' },
      { from: 'policyMenu', key: '3', to: 'policyArticle35' },
      { from: 'policyMenu', key: '4', to: 'policyArticle44' },
      { from: 'policyMenu', key: '5', to: 'policyArticle53' },
      { from: 'policyMenu', key: '9', to: 'mainMenu' },
      ...['12', '23', '35', '44', '53'].flatMap((article) => [
        { from: `policyArticle${article}`, key: '1', to: 'policyMenu' },
        { from: `policyArticle${article}`, key: '9', to: 'mainMenu' },
      ]),
      { from: 'chooseChannel', key: '1', to: 'enterCode', context: { channel: 'sms' } },
      { from: 'chooseChannel', key: '2', to: 'enterCode', context: { channel: 'email' } },
      { from: 'chooseChannel', key: '3', to: 'noContactGuidance' },
      { from: 'noContactGuidance', key: '9', to: 'mainMenu' },
      { from: 'confirmIdEnding', key: '2', to: 'enterId' },
      { from: 'confirmIdEnding', key: '1', to: 'agent', context: { agentReason: 'id-unverifiable', notice: ['id.unverifiable'] } },
      { from: 'callbackOffer', key: '1', to: 'callbackQueued' },
      { from: 'callbackOffer', key: '0', to: 'agent' },
    ];
    for (const { from, key, to, context } of choices) {
      it(`in ${from}, pressing ${key} leads to ${to}`, async () => {
        const walk = await walkTo(from);
        await walk.press(key);
        expect(walk.state).to.equal(to);
        expect(walk.context.language, 'language kept').to.equal('en-US');
        if (context) expect(walk.context).to.deep.include(context);
      });
    }

    it('the main menu plays the main-menu prompt', async () => {
      expect((await walkTo('mainMenu')).meta?.prompts).to.deep.equal(['main.menu']);
    });

    it('other ways plays the online/touch-screen/bureau guidance and then the after-info choices', async () => {
      expect((await walkTo('otherWays')).meta?.prompts).to.deep.equal(['other.ways', 'after.info']);
    });

    for (const article of ['12', '23', '35', '44', '53']) {
      it(`article ${article} plays its summary and then the policy after-menu`, async () => {
        const walk = await walkTo(`policyArticle${article}`);
        expect(walk.meta?.prompts).to.deep.equal([`policy.article${article}`, 'policy.after']);
        expect(walk.meta?.gather).to.deep.equal({ kind: 'menu', timer: 'menu' });
      });
    }

    it('the bureau guidance for a caller with neither contact plays the seed wording and offers an agent', async () => {
      const walk = await walkTo('noContactGuidance');
      expect(walk.meta?.prompts).to.deep.equal(['verify.neither', 'after.info']);
      expect(walk.calls.sendCode).to.have.length(0);
      await walk.press('0');
      expect(walk.state).to.equal('agent');
    });

    it('the main menu offers the password choices directly: forgot or never set (1) and change (2) go straight to the ID', async () => {
      const walk = await walkTo('mainMenu');
      await walk.press('1');
      expect(walk.visited).to.deep.equal(['welcome', 'mainMenu', 'enterId']);
    });
  });

  describe('in every gathering state', () => {
    for (const state of GATHERING) {
      const invalid = INVALID[state];

      it(`${state}: when the caller presses star, the state repeats with notice and counters reset`, async () => {
        const walk = await walkTo(state);
        await walk.press(invalid.digits);
        await walk.press(invalid.digits);
        expect(walk.context.invalid).to.equal(2);
        expect(walk.context.notice).to.deep.equal([invalid.notice]);
        await walk.press('*');
        expect(walk.state).to.equal(state);
        // The read-back of an ID ending is said again on a repeat; elsewhere a repeat starts without a notice.
        expect(walk.context.notice).to.deep.equal(state === 'confirmIdEnding' ? [promptRef('id.ending', { last4: '0021' })] : []);
        expect(walk.context.invalid).to.equal(0);
        expect(walk.context.noInput).to.equal(0);
        // after the repeat, two more invalid keys do not yet reach an agent
        await walk.press(invalid.digits);
        await walk.press(invalid.digits);
        expect(walk.state).to.equal(state);
      });

      it(`${state}: when the caller presses 0, the call goes to an agent`, async () => {
        const walk = await walkTo(state);
        await walk.press('0');
        expect(walk.state).to.equal('agent');
        expect(walk.done, 'waits for the agent line').to.equal(false);
        expect(walk.meta).to.deep.include({ prompts: ['agent.transfer'], end: 'dial' });
        await walk.dial('completed');
        expect(walk.state).to.equal('transferred');
        expect(walk.meta).to.deep.include({ end: 'hangup', outcome: 'transferred' });
      });

      it(`${state}: an invalid entry is named (${invalid.notice}) and the state stays`, async () => {
        const walk = await walkTo(state);
        await walk.press(invalid.digits);
        expect(walk.state).to.equal(state);
        expect(walk.context.notice).to.deep.equal([invalid.notice]);
        expect(walk.context.invalid).to.equal(1);
      });

      it(`${state}: three invalid entries in a row reach ${giveUp(state).invalid}`, async () => {
        const walk = await walkTo(state);
        for (let i = 1; i < CALL_LIMITS.invalidBeforeAgent; i += 1) {
          await walk.press(invalid.digits);
          expect(walk.state).to.equal(state);
        }
        await walk.press(invalid.digits);
        expect(walk.state).to.equal(giveUp(state).invalid);
        if (giveUp(state).invalid === 'agentAfterTrouble') expect(walk.meta).to.deep.include({ prompts: ['agent.too-many-tries', 'agent.transfer'], end: 'dial' });
        else expect(walk.meta).to.deep.include({ prompts: ['next.step', 'goodbye'], outcome: 'agent-unavailable' });
      });

      it(`${state}: when the caller hangs up, the call ends as ${giveUp(state).hangup}`, async () => {
        const walk = await walkTo(state);
        await walk.hangup();
        expect(walk.state).to.equal(giveUp(state).hangup);
        expect(walk.done).to.equal(true);
        expect(walk.meta?.outcome).to.equal(giveUp(state).hangup === 'abandoned' ? 'abandoned' : 'agent-unavailable');
      });

      if (state === 'welcome') continue;

      it(`${state}: one silence reprompts with the no-input notice`, async () => {
        const walk = await walkTo(state);
        await walk.silence();
        expect(walk.state).to.equal(state);
        expect(walk.context.notice).to.deep.equal(['input.none']);
        expect(walk.context.noInput).to.equal(1);
      });

      it(`${state}: two silences end the call politely, saying the one next step first`, async () => {
        const walk = await walkTo(state);
        await walk.silence();
        await walk.silence();
        expect(walk.state).to.equal(giveUp(state).silence);
        const heard = [...walk.context.notice, ...(walk.meta?.prompts ?? [])];
        expect(heard).to.deep.equal(['input.none', 'next.step', 'goodbye']);
        expect(walk.meta?.end).to.equal('hangup');
      });

      it(`${state}: star after a silence resets the silence count`, async () => {
        const walk = await walkTo(state);
        await walk.silence();
        await walk.press('*');
        expect(walk.context.noInput).to.equal(0);
        await walk.silence();
        expect(walk.state).to.equal(state);
      });
    }

    it('a valid choice after two invalid keys starts the next menu with fresh counters', async () => {
      const walk = await walkTo('mainMenu');
      await walk.keys('7', '7', '3');
      expect(walk.state).to.equal('otherWays');
      expect(walk.context).to.deep.include({ invalid: 0, noInput: 0, notice: [] });
      await walk.keys('7', '7');
      expect(walk.state).to.equal('otherWays');
    });

    it('an invalid key after a silence replaces the no-input notice and clears the silence count', async () => {
      const walk = await walkTo('mainMenu');
      await walk.silence();
      await walk.press('7');
      expect(walk.context).to.deep.include({ notice: ['input.invalid'], noInput: 0, invalid: 1 });
      await walk.silence();
      expect(walk.state).to.equal('mainMenu');
    });
  });

  describe('entering the citizen ID', () => {
    it('star stands for the final X and the look-up receives the normalised ID', async () => {
      const walk = await walkTo('enterId');
      await walk.press(ID_KEYED);
      expect(walk.calls.identifyCaller).to.deep.equal([{ idNumber: ID }]);
      expect(walk.state).to.equal('chooseChannel');
      expect(walk.context).to.deep.include({ idHash: 'hash-of-card', idMasked: '1101**********002X', citizenId: 'citizen-a', notice: [] });
    });

    it('an all-digit valid ID is looked up as entered', async () => {
      const walk = await walkTo('enterId');
      await walk.press(OTHER_ID);
      expect(walk.calls.identifyCaller).to.deep.equal([{ idNumber: OTHER_ID }]);
      expect(walk.state).to.equal('chooseChannel');
    });

    const refused: Array<[string, string, PromptRef]> = [
      ['17 characters', '11010519491231002', promptRef('id.length', { entered: 17 })],
      ['19 characters', `${OTHER_ID}4`, promptRef('id.length', { entered: 19 })],
      ['30 February as birth date', withCheckCharacter('11010519490230002'), 'id.invalid'],
      ['month 13 as birth date', withCheckCharacter('11010519491331002'), 'id.invalid'],
      ['a birth date in the future', withCheckCharacter('11010520990101002'), 'id.invalid'],
      ['a star in the middle', '1101051949*231002*', 'id.invalid'],
      ['the hash key alone', '#', 'input.hash-only'],
    ];
    for (const [what, digits, notice] of refused) {
      it(`an ID with ${what} is refused with ${notice} and never looked up`, async () => {
        const walk = await walkTo('enterId');
        await walk.press(digits);
        expect(walk.state).to.equal('enterId');
        expect(walk.context.notice).to.deep.equal([notice]);
        expect(walk.calls.identifyCaller).to.have.length(0);
      });
    }

    it('a partial ID (the timer ran out after 12 keys) says how many came and how many are needed, and the caller can enter it again', async () => {
      const walk = await walkTo('enterId');
      await walk.press('110105194912');
      expect(walk.state).to.equal('enterId');
      expect(walk.context).to.deep.include({ notice: ['id.length?entered=12'], invalid: 1, noInput: 0 });
      await walk.press(ID_KEYED);
      expect(walk.state).to.equal('chooseChannel');
      expect(walk.calls.identifyCaller).to.deep.equal([{ idNumber: ID }]);
    });

    it('the hash key alone is an empty entry, not silence: two in a row do not end the call, three reach an agent', async () => {
      const walk = await walkTo('enterId');
      await walk.keys('#', '#');
      expect(walk.state).to.equal('enterId');
      expect(walk.context).to.deep.include({ noInput: 0, invalid: 2, notice: ['input.hash-only'] });
      await walk.press('#');
      expect(walk.state).to.equal('agentAfterTrouble');
    });

    it('an ID whose check digit alone fails is read back by its last four characters, not refused', async () => {
      const walk = await walkTo('enterId');
      await walk.press(ID_BAD_CHECK);
      expect(walk.state).to.equal('confirmIdEnding');
      expect(walk.context.notice).to.deep.equal(['id.ending?last4=0021']);
      expect(walk.meta).to.deep.include({ prompts: ['id.ending.choice'], gather: { kind: 'menu', timer: 'menu' } });
      expect(walk.calls.identifyCaller).to.have.length(0);
      expect(walk.persisted().json, 'only the ending is kept').not.to.contain('1101051949');
    });

    it('a star for a final X is read back as X', async () => {
      const walk = await walkTo('enterId');
      await walk.press('44052418800101001*');
      expect(walk.context.notice).to.deep.equal([promptRef('id.ending', { last4: '001X' })]);
    });

    it('after the read-back, 2 lets the caller enter the number again', async () => {
      const walk = await walkTo('confirmIdEnding');
      await walk.press('2');
      expect(walk.state).to.equal('enterId');
      expect(walk.context.notice).to.deep.equal([]);
      await walk.press(ID_KEYED);
      expect(walk.state).to.equal('chooseChannel');
    });

    it('after the read-back, 1 ("it is right") goes to an agent saying the number cannot be checked by phone', async () => {
      const walk = await walkTo('confirmIdEnding');
      await walk.press('1');
      expect(walk.state).to.equal('agent');
      expect(walk.context).to.deep.include({ notice: ['id.unverifiable'], agentReason: 'id-unverifiable' });
      expect(walk.calls.identifyCaller).to.have.length(0);
    });

    it('a correct ID is never read back', async () => {
      const walk = await walkTo('enterId');
      await walk.press(OTHER_ID);
      expect(walk.visited).not.to.include('confirmIdEnding');
    });

    it('the third ID that fails its check digit in a call goes to an agent instead of another read-back', async () => {
      const walk = await walkTo('enterId');
      await walk.keys(ID_BAD_CHECK, '2', '110105194912310022', '2');
      expect(walk.context.idChecksFailed).to.equal(2);
      await walk.press('110105194912310023');
      expect(walk.state).to.equal('agentAfterTrouble');
      expect(walk.context.notice).to.deep.equal(['id.invalid']);
    });

    it('three invalid IDs reach an agent and nothing is looked up', async () => {
      const walk = await walkTo('enterId');
      await walk.keys('1101051949', '11010519491231', '110105194912310');
      expect(walk.state).to.equal('agentAfterTrouble');
      expect(walk.calls.identifyCaller).to.have.length(0);
    });

    it('a registered and an unregistered ID get the same next step (nothing revealed before proof)', async () => {
      const registered = await walkTo('enterId');
      const unknown = await walkTo('enterId', { identifyCaller: async () => ({ idHash: 'hash-x', idMasked: '4405**********0014', citizenId: null }) });
      await registered.keys(ID_KEYED, '1');
      await unknown.keys(OTHER_ID, '1');
      expect(unknown.state).to.equal(registered.state).and.to.equal('enterCode');
      expect(unknown.context.notice).to.deep.equal(registered.context.notice).and.to.deep.equal(['code.sent']);
      expect(unknown.calls.sendCode[0]).to.deep.include({ citizenId: null, channel: 'sms' });
    });

    it('for a change, an unregistered ID also goes on to the current-password prompt', async () => {
      const walk = await walkTo('mainMenu', { identifyCaller: async () => ({ idHash: 'hash-x', idMasked: 'm', citizenId: null }) });
      await walk.keys('2', OTHER_ID);
      expect(walk.state).to.equal('enterCurrentPin');
    });
  });

  describe('forgot / never set: verify by a one-time code', () => {
    it('choosing 1 sends a code by SMS and says it was sent', async () => {
      const walk = await walkTo('chooseChannel');
      await walk.press('1');
      expect(walk.calls.sendCode).to.deep.equal([{ idHash: 'hash-of-card', citizenId: 'citizen-a', channel: 'sms', language: 'en-US' }]);
      expect(walk.state).to.equal('enterCode');
      expect(walk.context.notice).to.deep.equal(['code.sent']);
      expect(walk.meta).to.deep.include({ prompts: ['code.enter'], gather: { kind: 'entry', timer: 'code', secret: 'code' } });
    });

    it('choosing 2 sends a code by email', async () => {
      const walk = await walkTo('chooseChannel');
      await walk.press('2');
      expect(walk.calls.sendCode[0]).to.deep.include({ channel: 'email' });
      expect(walk.state).to.equal('enterCode');
    });

    it('a Mandarin caller gets the code message in Mandarin', async () => {
      const walk = new Walk();
      await walk.keys('1', '1', ID_KEYED, '1');
      expect(walk.calls.sendCode[0].language).to.equal('zh-CN');
    });

    it('the right code verifies the caller by the chosen channel and asks for the new password', async () => {
      for (const [key, channel] of [['1', 'sms'], ['2', 'email']] as const) {
        const walk = await walkTo('chooseChannel');
        await walk.keys(key, GOOD_CODE);
        expect(walk.calls.verifyCode).to.deep.equal([{ idHash: 'hash-of-card', code: GOOD_CODE }]);
        expect(walk.state).to.equal('enterNewPin');
        expect(walk.context).to.deep.include({ verifiedBy: channel, notice: ['pin.verified'] });
      }
    });

    it('a wrong code says so and asks again', async () => {
      const walk = await walkTo('enterCode');
      await walk.press(BAD_CODE);
      expect(walk.state).to.equal('enterCode');
      expect(walk.context.notice).to.deep.equal(['code.wrong']);
      expect(walk.context.failedVerifications).to.equal(1);
    });

    it('three wrong codes in a call end the call as a failed verification', async () => {
      const walk = await walkTo('enterCode');
      await walk.keys(BAD_CODE, '604174', '604175');
      expect(walk.calls.verifyCode).to.have.length(3);
      expect(walk.state).to.equal('verificationFailed');
      expect(walk.meta).to.deep.include({ prompts: ['verify.failed'], end: 'hangup', outcome: 'verification-failed' });
    });

    it('a code of the wrong length is refused without checking it, saying how many digits came', async () => {
      const walk = await walkTo('enterCode');
      await walk.press('48291');
      expect(walk.context.notice).to.deep.equal(['code.length?entered=5']);
      expect(walk.calls.verifyCode).to.have.length(0);
      expect(walk.context.failedVerifications).to.equal(0);
    });

    it('a partial code (the timer ran out after 4 digits) is never silence: the caller hears what was wrong and enters it again', async () => {
      const walk = await walkTo('enterCode');
      await walk.press('4829');
      expect(walk.context).to.deep.include({ notice: ['code.length?entered=4'], noInput: 0, invalid: 1 });
      await walk.press(GOOD_CODE);
      expect(walk.state).to.equal('enterNewPin');
    });

    it('the hash key alone at the code prompt is named, and does not count as a wrong code', async () => {
      const walk = await walkTo('enterCode');
      await walk.press('#');
      expect(walk.context).to.deep.include({ notice: ['input.hash-only'], failedVerifications: 0 });
      expect(walk.calls.verifyCode).to.have.length(0);
    });

    it('when a wrong code locks the card, the caller hears that the card is locked', async () => {
      const walk = await walkTo('enterCode', { verifyCode: async () => 'locked' });
      await walk.press(BAD_CODE);
      expect(walk.state).to.equal('cardLocked');
      expect(walk.meta).to.deep.include({ prompts: ['card.locked'], end: 'hangup', outcome: 'locked' });
    });

    it('pressing 9 sends a new code and says so again', async () => {
      const walk = await walkTo('enterCode');
      await walk.press(BAD_CODE);
      await walk.press('9');
      expect(walk.calls.sendCode).to.have.length(2);
      expect(walk.state).to.equal('enterCode');
      expect(walk.context.notice).to.deep.equal(['code.sent']);
    });

    it('wrong codes keep counting across a resend within the call', async () => {
      const walk = await walkTo('enterCode');
      await walk.keys(BAD_CODE, '9', '604174', '9', '604175');
      expect(walk.state).to.equal('verificationFailed');
    });
  });

  describe('change: verify with the current password', () => {
    it('the current-password prompt gathers a secret 6-digit entry', async () => {
      const walk = await walkTo('enterCurrentPin');
      expect(walk.meta).to.deep.include({ prompts: ['current.enter'], gather: { kind: 'entry', timer: 'pin', secret: 'pin' } });
      expect(walk.calls.sendCode).to.have.length(0);
    });

    it('the right current password verifies the caller', async () => {
      const walk = await walkTo('enterCurrentPin');
      await walk.press(CURRENT_PIN);
      expect(walk.calls.verifyCurrentPin).to.deep.equal([{ idHash: 'hash-of-card', citizenId: 'citizen-a', pin: CURRENT_PIN }]);
      expect(walk.state).to.equal('enterNewPin');
      expect(walk.context).to.deep.include({ verifiedBy: 'current-password', notice: ['pin.verified'] });
    });

    it('a wrong current password says so and asks again', async () => {
      const walk = await walkTo('enterCurrentPin');
      await walk.press(WRONG_PIN);
      expect(walk.state).to.equal('enterCurrentPin');
      expect(walk.context.notice).to.deep.equal(['current.wrong']);
      expect(walk.context.failedVerifications).to.equal(1);
    });

    it('three wrong current passwords end the call as a failed verification', async () => {
      const walk = await walkTo('enterCurrentPin');
      await walk.keys(WRONG_PIN, '246803', '246804');
      expect(walk.state).to.equal('verificationFailed');
    });

    it('when a wrong current password locks the card, the caller hears that the card is locked', async () => {
      const walk = await walkTo('enterCurrentPin', { verifyCurrentPin: async () => 'locked' });
      await walk.press(WRONG_PIN);
      expect(walk.state).to.equal('cardLocked');
    });

    it('a current password of the wrong length is refused without checking it', async () => {
      const walk = await walkTo('enterCurrentPin');
      await walk.press('1357');
      expect(walk.context.notice).to.deep.equal(['pin.length?entered=4']);
      expect(walk.calls.verifyCurrentPin).to.have.length(0);
    });
  });

  describe('the new password', () => {
    const reasons: WeakPinReason[] = ['format', 'all-same', 'sequence', 'birth-date', 'id-tail', 'same-as-current'];
    for (const reason of reasons) {
      it(`a new password refused as ${reason} is explained and asked for again`, async () => {
        const walk = await walkTo('enterNewPin', { screenNewPin: async () => ({ ok: false, reason }) });
        await walk.press('111111');
        expect(walk.calls.screenNewPin).to.deep.equal([{ citizenId: 'citizen-a', pin: '111111', verifiedBy: 'current-password' }]);
        expect(walk.state).to.equal('enterNewPin');
        expect(walk.context.notice).to.deep.equal([`pin.weak.${reason}`]);
        expect(walk.context.newPinAttempts).to.equal(1);
        expect(walk.context.firstPinDigest).to.equal(null);
      });
    }

    it('three refused new passwords reach an agent', async () => {
      const walk = await walkTo('enterNewPin', { screenNewPin: async () => ({ ok: false, reason: 'sequence' }) });
      await walk.keys('123456', '654321', '234567');
      expect(walk.state).to.equal('agentAfterTrouble');
      expect(walk.calls.screenNewPin).to.have.length(3);
    });

    it('a strong first entry is kept only as the digest and the caller is asked to confirm', async () => {
      const walk = await walkTo('enterNewPin');
      await walk.press(NEW_PIN);
      expect(walk.state).to.equal('confirmNewPin');
      expect(walk.context.firstPinDigest).to.equal('digest-a');
      expect(walk.meta).to.deep.include({ prompts: ['pin.confirm'], gather: { kind: 'entry', timer: 'pin', secret: 'pin' } });
    });

    it('an entry that is not six digits is refused before screening, saying how many keys came', async () => {
      const walk = await walkTo('enterNewPin');
      await walk.press('12*');
      expect(walk.calls.screenNewPin).to.have.length(0);
      expect(walk.context.notice).to.deep.equal(['pin.length?entered=3']);
    });

    it('a partial confirmation keeps the first entry and asks for the confirmation again', async () => {
      const walk = await walkTo('confirmNewPin');
      await walk.press('2580');
      expect(walk.state).to.equal('confirmNewPin');
      expect(walk.context).to.deep.include({ notice: ['pin.length?entered=4'], firstPinDigest: 'digest-a' });
      expect(walk.calls.commitNewPin).to.have.length(0);
    });

    it('a confirmation that differs says so and starts the new password again', async () => {
      const walk = await walkTo('confirmNewPin');
      await walk.press(OTHER_NEW_PIN);
      expect(walk.state).to.equal('enterNewPin');
      expect(walk.context.notice).to.deep.equal(['pin.mismatch']);
      expect(walk.context.firstPinDigest).to.equal(null);
      expect(walk.context.newPinAttempts).to.equal(1);
    });

    it('refusals and mismatches together count towards the limit', async () => {
      const screen = [{ ok: false, reason: 'sequence' }, { ok: true, digest: 'digest-q' }, { ok: false, reason: 'all-same' }] as ScreenResult[];
      const walk = await walkTo('enterNewPin', { screenNewPin: async () => screen.shift()!, commitNewPin: async () => 'mismatch' });
      await walk.keys('123456', NEW_PIN, OTHER_NEW_PIN);
      expect(walk.state).to.equal('enterNewPin');
      await walk.press('999999');
      expect(walk.state).to.equal('agentAfterTrouble');
    });

    it('a matching confirmation saves the password and ends the call as password-changed', async () => {
      const walk = await walkTo('confirmNewPin');
      await walk.press(NEW_PIN);
      expect(walk.calls.commitNewPin).to.deep.equal([
        { citizenId: 'citizen-a', pin: NEW_PIN, firstDigest: 'digest-a', verifiedBy: 'current-password', language: 'en-US' },
      ]);
      expect(walk.state).to.equal('passwordChanged');
      expect(walk.done).to.equal(true);
      expect(walk.meta).to.deep.include({ prompts: ['pin.changed', 'goodbye'], end: 'hangup', outcome: 'password-changed' });
      expect(walk.context.firstPinDigest).to.equal(null);
    });

    it('a reset by email records email as the verification channel when saving', async () => {
      const walk = await walkTo('chooseChannel');
      await walk.keys('2', GOOD_CODE, NEW_PIN, NEW_PIN);
      expect(walk.state).to.equal('passwordChanged');
      expect(walk.calls.commitNewPin[0].verifiedBy).to.equal('email');
    });

    it('star at the confirmation repeats it and keeps the first entry', async () => {
      const walk = await walkTo('confirmNewPin');
      await walk.press('*');
      expect(walk.state).to.equal('confirmNewPin');
      expect(walk.context.firstPinDigest).to.equal('digest-a');
      await walk.press(NEW_PIN);
      expect(walk.state).to.equal('passwordChanged');
    });
  });

  describe('the agent line and callbacks', () => {
    it('an answered agent line ends the call as transferred', async () => {
      const walk = await walkTo('mainMenu');
      await walk.press('0');
      await walk.dial('completed');
      expect(walk.state).to.equal('transferred');
      expect(walk.meta).to.deep.include({ prompts: [], end: 'hangup', outcome: 'transferred' });
    });

    for (const status of ['busy', 'no-answer', 'failed']) {
      it(`an agent line that reports ${status} offers a callback on this number`, async () => {
        const walk = await walkTo('mainMenu');
        await walk.press('0');
        await walk.dial(status);
        expect(walk.state).to.equal('callbackOffer');
        expect(walk.context).to.deep.include({ agentLine: status, notice: [] });
        expect(walk.meta).to.deep.include({ prompts: ['callback.offer'], gather: { kind: 'menu', timer: 'menu' } });
      });
    }

    it('a withheld number is not offered a callback: the caller hears that agents are busy, the next step and goodbye', async () => {
      const walk = await walkTo('mainMenu');
      await walk.press('0');
      await walk.dial('busy', false);
      expect(walk.state).to.equal('agentUnavailable');
      expect([...walk.context.notice, ...(walk.meta?.prompts ?? [])]).to.deep.equal(['agent.unavailable', 'next.step', 'goodbye']);
      expect(walk.meta?.outcome).to.equal('agent-unavailable');
    });

    it('a caller who hangs up while the agent line rings counts as transferred', async () => {
      const walk = await walkTo('mainMenu');
      await walk.press('0');
      await walk.hangup();
      expect(walk.state).to.equal('transferred');
    });

    it('pressing 1 queues a callback with the language, why the caller wanted an agent, where they were and how the line ended', async () => {
      const walk = await walkTo('enterCode');
      await walk.keys('0', { type: 'DIAL_RESULT', status: 'no-answer', callerReachable: true }, '1');
      expect(walk.calls.queueCallback).to.deep.equal([{ language: 'en-US', reason: 'asked', state: 'enterCode', agentLine: 'no-answer' }]);
      expect(walk.state).to.equal('callbackQueued');
      expect(walk.meta).to.deep.include({ prompts: ['callback.queued', 'goodbye'], end: 'hangup', outcome: 'callback-requested' });
    });

    it('a callback after too many tries records that reason and the state the caller was stuck in', async () => {
      const walk = await walkTo('enterCode');
      await walk.keys('12', '12', '12', BUSY, '1');
      expect(walk.calls.queueCallback[0]).to.deep.include({ reason: 'too-many-tries', state: 'enterCode' });
    });

    it('a callback after an ID that cannot be checked records that reason', async () => {
      const walk = await walkTo('confirmIdEnding');
      await walk.keys('1', BUSY, '1');
      expect(walk.calls.queueCallback[0]).to.deep.include({ reason: 'id-unverifiable', state: 'confirmIdEnding' });
    });

    it('a number that already has an open callback hears so and is not queued twice', async () => {
      const walk = await walkTo('callbackOffer', { queueCallback: async () => 'exists' });
      await walk.press('1');
      expect(walk.state).to.equal('callbackExists');
      expect(walk.meta).to.deep.include({ prompts: ['callback.exists', 'goodbye'], outcome: 'callback-requested' });
    });

    it('0 at the callback offer tries the agents again, keeping why the caller wanted one', async () => {
      const walk = await walkTo('callbackOffer');
      await walk.press('0');
      expect(walk.state).to.equal('agent');
      await walk.dial('busy');
      await walk.press('1');
      expect(walk.calls.queueCallback[0]).to.deep.include({ reason: 'asked', state: 'mainMenu' });
    });
  });

  describe('hanging up and failing actors', () => {
    const running: Array<{ state: string; actor: ActorName; from: string; keys: string }> = [
      { state: 'identifying', actor: 'identifyCaller', from: 'enterId', keys: ID_KEYED },
      { state: 'sendingCode', actor: 'sendCode', from: 'chooseChannel', keys: '1' },
      { state: 'verifyingCode', actor: 'verifyCode', from: 'enterCode', keys: GOOD_CODE },
      { state: 'verifyingCurrentPin', actor: 'verifyCurrentPin', from: 'enterCurrentPin', keys: CURRENT_PIN },
      { state: 'screeningNewPin', actor: 'screenNewPin', from: 'enterNewPin', keys: NEW_PIN },
      { state: 'committingNewPin', actor: 'commitNewPin', from: 'confirmNewPin', keys: NEW_PIN },
      { state: 'queueingCallback', actor: 'queueCallback', from: 'callbackOffer', keys: '1' },
    ];

    for (const { state, actor, from, keys } of running) {
      it(`a hang-up while ${state} is running abandons the call and stops the actor`, async () => {
        const walk = await walkTo(from, { [actor]: hang } as Partial<Behaviour>);
        walk.send(keys);
        expect(walk.state).to.equal(state);
        expect(Object.keys(walk.persisted().children)).to.have.length(1);
        await walk.hangup();
        expect(walk.state).to.equal('abandoned');
        expect(walk.meta?.outcome).to.equal('abandoned');
      });

      it(`when ${actor} fails, the caller hears an apology in their language and 0 reaches an agent`, async () => {
        const walk = await walkTo(from, { [actor]: fail } as Partial<Behaviour>);
        await walk.press(keys);
        expect(walk.state).to.equal('trouble');
        expect(walk.context.language).to.equal('en-US');
        expect(walk.meta).to.deep.include({ prompts: ['trouble.apology'], gather: { kind: 'menu', timer: 'menu' } });
        await walk.press('0');
        expect(walk.state).to.equal('agent');
      });

      it(`when ${actor} fails, another key is named invalid and * repeats the apology`, async () => {
        const walk = await walkTo(from, { [actor]: fail } as Partial<Behaviour>);
        await walk.press(keys);
        await walk.press('5');
        expect(walk.state).to.equal('trouble');
        expect(walk.context.notice).to.deep.equal(['input.invalid']);
        await walk.press('*');
        expect(walk.state).to.equal('trouble');
        expect(walk.context.notice).to.deep.equal([]);
      });
    }

    it('silence after the trouble apology says the next step and goodbye', async () => {
      const walk = await walkTo('enterId', { identifyCaller: fail });
      await walk.press(ID_KEYED);
      await walk.silence();
      expect(walk.state).to.equal('goodbye');
      expect(walk.meta?.prompts).to.deep.equal(['next.step', 'goodbye']);
    });

    it('a hang-up at the trouble apology abandons the call', async () => {
      const walk = await walkTo('enterId', { identifyCaller: fail });
      await walk.press(ID_KEYED);
      await walk.hangup();
      expect(walk.state).to.equal('abandoned');
    });

    it('events after the call has ended change nothing', async () => {
      const walk = await walkTo('mainMenu');
      await walk.press('0');
      await walk.dial('completed');
      walk.actor.send({ type: 'HANGUP' });
      walk.actor.send({ type: 'DIGITS', digits: '1' });
      expect(walk.state).to.equal('transferred');
    });
  });

  describe('the persisted snapshot', () => {
    it('at every resting state of a full reset by SMS holds no code, no PIN and no running child', async () => {
      const walk = new Walk();
      await walk.keys('2', '1', ID_KEYED, '1', BAD_CODE, GOOD_CODE, NEW_PIN, OTHER_NEW_PIN, NEW_PIN, NEW_PIN);
      // Walk.settle() has checked the snapshot at each of these resting states:
      expect(walk.visited).to.deep.equal([
        'welcome',
        'mainMenu',
        'enterId',
        'chooseChannel',
        'enterCode',
        'enterCode',
        'enterNewPin',
        'confirmNewPin',
        'enterNewPin',
        'confirmNewPin',
        'passwordChanged',
      ]);
      expect(walk.secrets).to.deep.equal([BAD_CODE, GOOD_CODE, NEW_PIN, OTHER_NEW_PIN, NEW_PIN, NEW_PIN]);
      const { json } = walk.persisted();
      for (const secret of walk.secrets) expect(json).not.to.contain(secret);
    });

    it('at every resting state of a change holds neither the current nor the new password', async () => {
      const walk = new Walk();
      await walk.keys('1', '2', ID_KEYED, WRONG_PIN, CURRENT_PIN, NEW_PIN, NEW_PIN);
      expect(walk.state).to.equal('passwordChanged');
      expect(walk.secrets).to.include.members([WRONG_PIN, CURRENT_PIN, NEW_PIN]);
      expect(walk.visited).to.have.length(8);
    });

    it('taken while an actor is running, it would hold the entry (so a turn must persist only at rest)', async () => {
      const walk = await walkTo('enterCode', { verifyCode: hang });
      walk.send(GOOD_CODE);
      const { json, children } = walk.persisted();
      expect(Object.keys(children)).to.have.length(1);
      expect(json, 'the leak detector itself works').to.contain(GOOD_CODE);
    });

    it('holds no full citizen ID number either', async () => {
      const walk = await walkTo('enterCode');
      const { json } = walk.persisted();
      expect(json).not.to.contain(ID);
      expect(json).not.to.contain('11010519491231002');
    });

    it('restored in a fresh actor, a call waiting for a code continues where it was', async () => {
      const first = await walkTo('enterCode');
      const second = first.restored();
      expect(second.state).to.equal('enterCode');
      expect(second.context).to.deep.include({ channel: 'sms', idHash: 'hash-of-card', notice: ['code.sent'] });
      await second.press(GOOD_CODE);
      expect(second.state).to.equal('enterNewPin');
      expect(second.context.verifiedBy).to.equal('sms');
    });

    it('restored at the confirmation, the first entry is still checked by its digest', async () => {
      const first = await walkTo('confirmNewPin');
      const second = first.restored();
      await second.press(NEW_PIN);
      expect(second.state).to.equal('passwordChanged');
      expect(second.calls.commitNewPin[0].firstDigest).to.equal('digest-a');
    });
  });
});
