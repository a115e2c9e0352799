import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { createMachine } from 'xstate';
import { callMachine } from '../../flows/call.machine.ts';
import { loadCallScript, parseCallScript, type CallScript } from '../../src/qa/call-script.ts';
import { flowCoverage, formatCoverage, type TimelineTurn } from '../../src/qa/flow-coverage.ts';
import { generatedScripts, generatePaths } from '../../src/qa/path-generator.ts';
import { formatResult, junitXml, runScripts, type ScriptResult } from '../../src/qa/script-runner.ts';
import { listenTestApp, type ListeningApp } from './qa-server.ts';

const SCRIPTS_DIR = 'qa/scripts';
const POLICY_MENU_EN =
  'For medical insurance, press 1. For old-age insurance, press 2. For work injury insurance, press 3. For unemployment insurance, press 4. For maternity insurance, press 5. For the main menu, press 9.';

async function committedScripts(): Promise<CallScript[]> {
  const files = (await readdir(SCRIPTS_DIR)).filter((f) => f.endsWith('.yaml')).sort();
  return Promise.all(files.map((f) => loadCallScript(path.join(SCRIPTS_DIR, f))));
}

function failures(results: ScriptResult[]): string {
  return results
    .filter((r) => !r.passed)
    .map((r) => formatResult(r))
    .join('\n\n');
}

describe('call scripts replayed against the real app and database', function () {
  this.timeout(180_000);
  let s: ListeningApp;
  /** A second app on its own database for the jambonz run: the cards, codes and callbacks the Twilio run left stay out of it. */
  let sj: ListeningApp;
  let committed: CallScript[];
  let generated: CallScript[];
  const timelines: TimelineTurn[][] = [];
  const jambonzTimelines: TimelineTurn[][] = [];

  before(async () => {
    // Generated first: walking the statechart takes seconds of CPU, and doing it between two batches of calls would
    // stall the loopback server's idle keep-alive sockets mid-reuse.
    generated = generatedScripts({ lockAfterFailures: 5 });
    s = await listenTestApp('qa-scripts');
    sj = await listenTestApp('qa-scripts-jambonz');
    committed = await committedScripts();
    // Generated here, not between the two replays: walking the machine blocks the event loop for seconds on a busy
    // box, long enough for the server to close the replayer's idle keep-alive sockets under it ("fetch failed").
    generated = generatedScripts({ lockAfterFailures: s.t.config.lock.afterFailures });
  });
  after(async () => {
    await s.close();
    await sj.close();
  });

  it('the committed scripts cover the main journeys and never share a caller, card or address (they run concurrently)', () => {
    const names = committed.map((c) => path.basename(c.file, '.yaml'));
    for (const journey of ['reset-by-sms', 'reset-by-email', 'no-contact-neither', 'change-with-current-password', 'weak-password-refusals', 'wrong-codes-to-lock', 'silence-and-invalid-keys', 'agent-transfer', 'welcome-languages', 'other-ways-menu', 'policy-menu', 'partial-entries', 'callback-when-busy']) {
      expect(names).to.include(journey);
    }
    const owner = new Map<string, string>();
    for (const script of committed) {
      const keys = new Set([...script.calls.map((c) => c.caller), ...script.citizens.flatMap((c) => [c.idNumber, c.mobile, c.email].filter((v): v is string => Boolean(v)))]);
      for (const key of keys) {
        expect(owner.get(key), `${key} is used by ${owner.get(key)} and ${script.file}`).to.equal(undefined);
        owner.set(key, script.file);
      }
    }
    const languages = new Set(committed.flatMap((c) => c.calls.map((call) => call.language)));
    expect([...languages].sort()).to.deep.equal(['en-US', 'zh-CN']);
  });

  it('every committed script passes', async () => {
    const results = await runScripts(committed, s.target, { concurrency: 6 });
    expect(failures(results)).to.equal('');
    expect(results).to.have.length(committed.length);
    for (const r of results) timelines.push(...r.timelines);
  });

  it('every generated path passes', async () => {
    expect(s.t.config.lock.afterFailures).to.equal(5);
    const scripts = generated;
    expect(scripts.length).to.be.greaterThan(20);
    const results = await runScripts(scripts, s.target, { concurrency: 6 });
    expect(failures(results)).to.equal('');
    for (const r of results) timelines.push(...r.timelines);
  });

  it('every committed script passes through jambonz too', async () => {
    const results = await runScripts(committed, sj.jambonz, { concurrency: 6 });
    expect(failures(results)).to.equal('');
    expect(results).to.have.length(committed.length);
    expect(results.flatMap((r) => r.callSids).every((sid) => /^[0-9a-f-]{36}$/.test(sid)), 'jambonz call ids').to.equal(true);
    for (const r of results) jambonzTimelines.push(...r.timelines);
  });

  it('every generated path passes through jambonz too', async () => {
    const results = await runScripts(generated, sj.jambonz, { concurrency: 6 });
    expect(failures(results)).to.equal('');
    for (const r of results) jambonzTimelines.push(...r.timelines);
  });

  it('through jambonz alone they visit 100% of the states and transitions too', () => {
    const report = flowCoverage(jambonzTimelines);
    expect(report.states.missed, formatCoverage(report)).to.deep.equal([]);
    expect(report.transitions.missed, formatCoverage(report)).to.deep.equal([]);
    expect(report.percent).to.equal(100);
  });

  it('together they visit 100% of the states and transitions, apart from the listed failure-only ones', () => {
    const report = flowCoverage(timelines);
    expect(report.states.missed, formatCoverage(report)).to.deep.equal([]);
    expect(report.transitions.missed, formatCoverage(report)).to.deep.equal([]);
    expect(report.percent).to.equal(100);
    expect(report.excluded.map((e) => e.item)).to.include.members(['trouble', 'goodbye', 'verifyingCode —error→ trouble']);
    expect(report.excluded.every((e) => e.item === 'trouble' || e.item === 'goodbye' || e.item.includes('error') || e.item.startsWith('trouble '))).to.equal(true);
    expect(formatCoverage(report)).to.match(/^flow coverage: 100% — states 36\/36, transitions 173\/173\n {2}excluded \(14\):/);
  });

  it('one call alone leaves gaps, and the report names what was missed', () => {
    const oneCall = flowCoverage(timelines.slice(0, 1));
    expect(oneCall.percent).to.be.lessThan(100);
    expect(formatCoverage(oneCall)).to.contain('missed transitions:\n    ');
  });

  it('the generated paths take every transition of the machine that is not excluded', () => {
    const taken = new Set(generatePaths().flatMap((p) => p.transitions));
    const report = flowCoverage([]);
    expect(report.transitions.missed.filter((t) => !taken.has(t))).to.deep.equal([]);
  });

  describe('a deliberately broken flow', () => {
    let broken: ListeningApp;
    before(async () => {
      const config = callMachine.config as unknown as { states: Record<string, { on: { DIGITS: Array<Record<string, unknown>> } }> };
      const mainMenu = config.states.mainMenu;
      const miswired = { ...mainMenu, on: { ...mainMenu.on, DIGITS: [{ ...mainMenu.on.DIGITS[0], target: 'policyMenu' }, ...mainMenu.on.DIGITS.slice(1)] } };
      const machine = createMachine({ ...callMachine.config, states: { ...config.states, mainMenu: miswired } } as never, callMachine.implementations as never) as unknown as typeof callMachine;
      broken = await listenTestApp('qa-broken', { app: { machine } });
    });
    after(async () => broken.close());

    it('makes a script fail with a readable diff of what was expected against what was said', async () => {
      const [result] = await runScripts([await loadCallScript('qa/scripts/reset-by-sms.yaml')], broken.target);
      expect(result.passed).to.equal(false);
      expect(result.failure).to.equal(
        [
          'qa/scripts/reset-by-sms.yaml:15: expected prompt id.enter not heard after press 1 (line 14)',
          '  - id.enter [en-US]  Enter your 18-character ID number, then press hash. For a final X, press star.',
          `  + policy.menu [en-US]  ${POLICY_MENU_EN}`,
        ].join('\n'),
      );
      const shown = formatResult(result);
      expect(shown).to.match(/^✗ Reset by SMS \(English\)/);
      expect(shown).to.contain('    transcript:\n');
      expect(shown).to.contain('      > press 1\n      < policy.menu [en-US]');
    });

    it('a wrong ending is shown as a diff too, and JUnit XML records pass and failure in well-formed XML', async () => {
      const script = parseCallScript('caller: "+8613800000960"\nlanguage: en-US\nsteps:\n  - press: 2\n  - press: 1\nend: transferred\n', 'ends-wrong.yaml');
      const ok = parseCallScript('caller: "+8613800000961"\nsteps:\n  - press: 1\n  - press: 0\n  - expect: agent.transfer\nend: transferred\n', 'agent & <zero>.yaml');
      const results = await runScripts([script, ok], broken.target);
      expect(results[0].failure).to.equal(
        [
          'ends-wrong.yaml:6: expected the call to end (transferred) but the line is still waiting for keys',
          '  - end: transferred',
          '  + still in the call; last heard:',
          `  +   policy.menu [en-US]  ${POLICY_MENU_EN}`,
        ].join('\n'),
      );
      expect(results[1].passed).to.equal(true);
      const xml = junitXml(results);
      expect(XMLValidator.validate(xml)).to.equal(true);
      const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml);
      const suite = parsed.testsuites.testsuite;
      expect(suite).to.include({ tests: '2', failures: '1' });
      expect(suite.testcase[0].failure.message).to.equal('ends-wrong.yaml:6: expected the call to end (transferred) but the line is still waiting for keys');
      expect(suite.testcase[1].name).to.equal('agent & <zero>');
      expect(suite.testcase[1].failure).to.equal(undefined);
    });
  });
});
