import { expect } from 'chai';
import { createMachine, type AnyStateMachine } from 'xstate';
import { callMachine } from '../../flows/call.machine.ts';
import {
  ACCESS_LABELS,
  CALL_LANGUAGE_LABELS,
  CHANGE_LABELS,
  CONSOLE_LANGUAGES,
  DIAL_STATUS_LABELS,
  EVENT_LABELS,
  MESSAGES,
  msg,
  OUTCOME_LABELS,
  ROLE_LABELS,
  STATE_LABELS,
  type Bilingual,
} from '../../src/http/console-messages.catalogue.ts';
import { ACCESS_ACTIONS } from '../../src/services/access-log.service.ts';
import { OUTCOMES } from '../../src/services/call-review.service.ts';
import { eventName } from '../../src/services/flow-graph.service.ts';
import { ROLES } from '../../src/domain/supervisor-role.policy.ts';

/** Every state, event and outcome a machine can show supervisors, read from its definition. */
function namesOf(machine: AnyStateMachine): { states: string[]; events: string[]; outcomes: string[] } {
  const states = Object.keys(machine.root.states);
  const events = new Set<string>(['CALL_START']);
  const outcomes = new Set<string>();
  for (const node of [machine.root, ...Object.values(machine.root.states)]) {
    for (const type of node.transitions.keys()) events.add(eventName(type));
    const outcome = (node.meta as { outcome?: string } | undefined)?.outcome;
    if (outcome) outcomes.add(outcome);
  }
  return { states, events: [...events], outcomes: [...outcomes] };
}

/** The names a machine uses that have no label in both languages. */
function missingLabels(machine: AnyStateMachine): string[] {
  const { states, events, outcomes } = namesOf(machine);
  const missing = (table: Record<string, Bilingual>, names: string[], kind: string) =>
    names.filter((name) => !Object.hasOwn(table, name) || CONSOLE_LANGUAGES.some((lang) => !table[name][lang]?.trim())).map((name) => `${kind} ${name}`);
  return [...missing(STATE_LABELS, states, 'state'), ...missing(EVENT_LABELS, events, 'event'), ...missing(OUTCOME_LABELS, outcomes, 'outcome')];
}

const HAN = /\p{Script=Han}/u;

describe('console messages: one catalogue, Chinese and English', () => {
  it('every state, event and outcome of the call machine has a label in both languages', () => {
    const names = namesOf(callMachine);
    expect(names.states.length).to.be.greaterThan(25);
    expect(names.events).to.include.members(['CALL_START', 'DIGITS', 'NO_INPUT', 'HANGUP', 'done', 'error']);
    expect(missingLabels(callMachine)).to.deep.equal([]);
  });

  it('a state or event added to a machine without a label is reported', () => {
    const grown = createMachine({ id: 'call', initial: 'welcome', states: { welcome: { on: { PING: 'brandNewState' } }, brandNewState: { type: 'final', meta: { outcome: 'new-outcome' } } } });
    expect(missingLabels(grown)).to.deep.equal(['state brandNewState', 'event PING', 'outcome new-outcome']);
  });

  it('every outcome supervisors can filter by, or the line records, has a label', () => {
    for (const outcome of [...OUTCOMES, 'agent-unavailable', 'in-progress']) expect(OUTCOME_LABELS, outcome).to.have.property(outcome);
    for (const what of [...ACCESS_ACTIONS, 'page', 'api', 'csv', 'json']) expect(ACCESS_LABELS, what).to.have.property(what);
    for (const role of ROLES) expect(ROLE_LABELS, role).to.have.property(role);
  });

  it('the Chinese side is Chinese and the English side is not, for every label and message', () => {
    const tables = { MESSAGES, STATE_LABELS, EVENT_LABELS, OUTCOME_LABELS, ROLE_LABELS, CALL_LANGUAGE_LABELS, CHANGE_LABELS, DIAL_STATUS_LABELS, ACCESS_LABELS } as Record<string, Record<string, Bilingual>>;
    const exceptions = new Set(['MESSAGES.switchLanguage', 'MESSAGES.switchLanguage.title', 'CALL_LANGUAGE_LABELS.en-US', 'ACCESS_LABELS.api', 'ACCESS_LABELS.csv']);
    for (const [tableName, table] of Object.entries(tables)) {
      for (const [key, entry] of Object.entries(table)) {
        const name = `${tableName}.${key}`;
        for (const lang of CONSOLE_LANGUAGES) expect(entry[lang]?.trim(), `${name} ${lang}`).not.to.equal('');
        if (exceptions.has(name)) continue;
        expect(entry['zh-CN'], name).to.match(HAN);
        expect(entry['en-US'], name).not.to.match(HAN);
      }
    }
  });

  it('both languages of a message fill in the same values', () => {
    for (const [key, entry] of Object.entries(MESSAGES)) {
      const slots = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      expect(slots(entry['zh-CN']), key).to.deep.equal(slots(entry['en-US']));
    }
    expect(msg('zh-CN', 'login.throttled', { wait: msg('zh-CN', 'wait.minutes', { n: 15 }) })).to.equal('登录失败次数过多，请 15 分钟后再试。');
    expect(msg('en-US', 'call.seconds', { n: 42 })).to.equal('42 s');
  });

  it('shows NO_INPUT as 无按键 / no key pressed and agentAfterTrouble as 转人工（多次无效）', () => {
    expect(EVENT_LABELS.NO_INPUT).to.deep.equal({ 'zh-CN': '无按键', 'en-US': 'no key pressed' });
    expect(STATE_LABELS.agentAfterTrouble['zh-CN']).to.equal('转人工（多次无效）');
  });
});
