import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { parseCallScript, ScriptError } from '../../src/qa/call-script.ts';
import { runScript } from '../../src/qa/script-runner.ts';
import { listenTestApp, type ListeningApp } from './qa-server.ts';

function errorOf(text: string): ScriptError {
  try {
    parseCallScript(text, 'bad.yaml');
  } catch (error) {
    if (error instanceof ScriptError) return error;
    throw error;
  }
  throw new Error('the script was accepted');
}

const HEAD = 'caller: "+8613800000901"\nsteps:\n';

describe('call scripts: format and errors', () => {
  it('parses steps with their lines, keeps keys as written (leading zeros, * and #) and defaults to Mandarin and an answering agent', () => {
    const script = parseCallScript(`${HEAD}  - expect: welcome\n  - press: 0123\n  - press: "*"\n  - silence\n  - code: qa@example.org\n  - wrong-code: "+8613800000901"\n  - expect: {text: "press 1"}\n  - expect: {regex: "^To"}\n  - hangup\nend: abandoned\n`, 'ok.yaml');
    expect(script.name).to.equal('ok');
    const call = script.calls[0];
    expect(call).to.deep.include({ caller: '+8613800000901', language: 'zh-CN', agent: ['answered'] });
    expect(call.steps.map((s) => [s.kind, s.line])).to.deep.equal([
      ['expect', 3],
      ['press', 4],
      ['press', 5],
      ['silence', 6],
      ['code', 7],
      ['code', 8],
      ['expect', 9],
      ['expect', 10],
      ['hangup', 11],
    ]);
    expect(call.steps[1]).to.include({ keys: '0123' });
    expect(call.steps[5]).to.include({ wrong: true, to: '+8613800000901' });
    expect(call.end).to.deep.equal({ outcome: 'abandoned', line: 12 });
  });

  it('the agent line can behave differently at each transfer of a call (a list, the last repeating), and a bad behaviour is refused', () => {
    const script = parseCallScript(`agent: busy\ncalls:\n  - caller: "+8613800000902"\n    agent: [busy, answered]\n    steps:\n      - press: 0\n  - caller: "+8613800000903"\n    steps:\n      - press: 0\n`, 'agents.yaml');
    expect(script.calls.map((c) => c.agent)).to.deep.equal([['busy', 'answered'], ['busy']]);
    expect(errorOf(`agent: rings-forever\n${HEAD}  - silence\n`).message).to.match(/^bad\.yaml:1: agent: must be one of answered, busy, no-answer, caller-hangs-up, or a list of them/);
  });

  it('an unknown step is refused with its line and the list of steps', () => {
    const error = errorOf(`${HEAD}  - expect: welcome\n  - dial: 2\n`);
    expect(error.message).to.equal("bad.yaml:4: unknown step 'dial' (steps are expect, press, silence, code, wrong-code, hangup)");
  });

  it('malformed YAML is refused with the line where it breaks', () => {
    const error = errorOf(`${HEAD}  - expect: welcome\n   - press: 2\n`);
    expect(error.line).to.equal(4);
    expect(error.message).to.match(/^bad\.yaml:4: malformed YAML: /);
  });

  it('bad values name the field and line: unknown prompt, bad keys, bad ending, unknown field, bad citizen, unfilled placeholder', () => {
    expect(errorOf(`${HEAD}  - expect: main.menuu\n`).message).to.match(/^bad\.yaml:3: expect: unknown prompt id 'main\.menuu'/);
    expect(errorOf(`${HEAD}  - press: "12a"\n`).message).to.equal('bad.yaml:3: press: keys are digits, * and # (got "12a")');
    expect(errorOf(`${HEAD}  - silence\nend: happy\n`).message).to.match(/^bad\.yaml:4: end: must be one of password-changed, /);
    expect(errorOf(`colour: blue\n${HEAD}  - silence\n`).message).to.equal("bad.yaml:1: unknown field 'colour'");
    expect(errorOf(`citizens:\n  - idNumber: "110105198803151014"\n    name: X\n${HEAD}  - silence\n`).message).to.match(/^bad\.yaml:2: citizens\.0\.idNumber: not a valid 18-character citizen ID/);
    expect(errorOf(`${HEAD}  - press: "<NEW_PIN>"\n`).message).to.equal('bad.yaml:3: press: fill in the placeholder <NEW_PIN> before replaying (the exported call did not record it)');
    expect(errorOf(`${HEAD}  - code: "<MOBILE>"\n`).message).to.match(/^bad\.yaml:3: code: fill in the placeholder <MOBILE>/);
    expect(errorOf(`steps:\n  - silence\n`).message).to.equal('bad.yaml:1: caller: the calling number is required');
  });

  describe('against the real app', () => {
    let s: ListeningApp;
    before(async () => {
      s = await listenTestApp('qa-script-errors');
    });
    after(async () => s.close());

    it('a code step with nothing in the outbox fails with the file, line and reason', async () => {
      const script = parseCallScript(
        `caller: "+8613800000902"\nlanguage: en-US\nsteps:\n  - press: 2\n  - press: 1\n  - press: 1\n  - press: "110105198803151099#"\n  - press: 1\n  - code: "+8613800000902"\n`,
        'no-code.yaml',
      );
      const result = await runScript(script, s.target);
      expect(result.passed).to.equal(false);
      expect(result.failure).to.equal('no-code.yaml:9: code: nothing in the outbox for +8613800000902');
    });
  });

  it('npm run qa refuses bad scripts with file:line: reason, runs nothing and prints no stack trace', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'qa-bad-'));
    try {
      const file = path.join(dir, 'broken.yaml');
      await writeFile(file, `${HEAD}  - expect: welcome\n  - jump: 3\n`);
      const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/qa.ts', file], { encoding: 'utf8', timeout: 60_000 });
      expect(run.status).to.equal(1);
      expect(run.stderr).to.contain(`${file}:4: unknown step 'jump'`);
      expect(run.stderr + run.stdout).not.to.match(/\n\s+at .+:\d+:\d+/);
      expect(run.stdout).not.to.contain('running');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
