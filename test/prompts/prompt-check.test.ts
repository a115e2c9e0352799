import { expect } from 'chai';
import { PROMPTS, promptText, ssmlToText, type PromptEntry } from '../../prompts/catalogue.ts';
import { checkPrompts, promptUsage, ssmlProblem } from '../../prompts/prompt-check.ts';

/** The catalogue check run by the tests, prompts:build and prompts:report, on the real catalogue and on broken ones. */

const catalogue: Record<string, PromptEntry> = PROMPTS;
const copy = (): Record<string, Partial<PromptEntry>> => JSON.parse(JSON.stringify(catalogue));

describe('prompt check', () => {
  it('passes on the catalogue as it is, against every id the flow and renderer use', () => {
    const uses = promptUsage();
    expect(uses.map((u) => u.id)).to.include.members(['welcome', 'code.wrong', 'pin.weak.birth-date', 'agent.busy', 'trouble.apology']);
    expect(checkPrompts(catalogue, uses)).to.deep.equal([]);
  });

  it('reports a prompt the flow uses that is missing, or missing in one language', () => {
    const broken = copy();
    delete broken['code.wrong'];
    delete broken['pin.enter']['en-US'];
    broken['goodbye']['zh-CN'] = '  ';
    const problems = checkPrompts(broken, promptUsage());
    expect(problems).to.include('code.wrong: used by flows/call.machine.ts but missing from the catalogue');
    expect(problems).to.include('pin.enter: missing in en-US');
    expect(problems).to.include('goodbye: missing in zh-CN');
    expect(problems).to.have.length(3);
  });

  it('reports a notice id the machine names that the catalogue lacks', () => {
    const machine = "notice: () => ['input.invalid', 'input.too-slow'] as PromptId[]";
    const problems = checkPrompts(catalogue, [...promptUsage(), ...promptUsage({ machine })]);
    expect(problems).to.deep.equal(['input.too-slow: used by flows/call.machine.ts but missing from the catalogue']);
  });

  it('reports a prompt nobody uses', () => {
    const broken = { ...copy(), 'menu.unused': { 'zh-CN': '这句没人播放。', 'en-US': 'Nobody plays this.' } };
    expect(checkPrompts(broken, promptUsage())).to.deep.equal(['menu.unused: unused (no state, notice or renderer plays it)']);
  });

  it('reports SSML that is not well-formed, not one <speak> element, or markup outside SSML', () => {
    const broken = copy();
    broken['goodbye']['en-US'] = '<speak>Thank you for calling.<break time="300ms"> Goodbye.</speak>';
    broken['code.wrong']['en-US'] = '<speak>That code was not accepted.</speak><speak>Again.</speak>';
    broken['pin.enter']['zh-CN'] = '请输入新的<emphasis>6位</emphasis>数字密码。';
    broken['input.none']['en-US'] = '<speak><break time="1s"/></speak>';
    const problems = checkPrompts(broken, promptUsage());
    expect(problems.find((p) => p.startsWith('goodbye (en-US): SSML is not well-formed'))).to.be.a('string');
    expect(problems.find((p) => p.startsWith('code.wrong (en-US): SSML'))).to.be.a('string');
    expect(problems).to.include('pin.enter (zh-CN): has markup but is not an SSML <speak> document');
    expect(problems).to.include('input.none (en-US): SSML has no words');
    expect(problems).to.have.length(4);
  });

  it('SSML is heard and shown as its words: tags removed, entities decoded', () => {
    expect(ssmlProblem('<speak>A &amp; B <say-as interpret-as="characters">123</say-as></speak>')).to.equal(null);
    expect(ssmlToText('<speak>A &amp; B <say-as interpret-as="characters">123</say-as></speak>')).to.equal('A & B 123');
    expect(promptText('pin.weak.sequence', 'zh-CN')).to.equal('密码不能是连续的数字，例如123456或654321。');
  });
});
