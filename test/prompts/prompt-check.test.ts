import { expect } from 'chai';
import { parsePromptRef, PROMPTS, promptRef, promptText, refText, ssmlToText, type PromptEntry } from '../../prompts/catalogue.ts';
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

  it('reports a placeholder that is neither configured nor declared per call, one only a language has, and a per-call value never said', () => {
    const broken = copy();
    broken['goodbye']['en-US'] = 'Thank you for calling, {name}. Goodbye.';
    broken['code.length']['zh-CN'] = '您输入的位数不对，验证码是6位。';
    const problems = checkPrompts(broken, promptUsage());
    expect(problems).to.include('goodbye: {name} is neither a configured value nor declared in perCall');
    expect(problems).to.include('goodbye: placeholders differ between languages ({} / {name})');
    expect(problems).to.include('code.length: placeholders differ between languages ({} / {entered})');
    expect(problems).to.have.length(3);
  });

  it('a notice with per-call values is a prompt reference whose words carry the values, spoken as the catalogue declares', () => {
    expect(promptRef('id.length', { entered: 12 })).to.equal('id.length?entered=12');
    expect(parsePromptRef('id.ending?last4=002X')).to.deep.equal({ id: 'id.ending', values: { last4: '002X' } });
    expect(refText('id.length?entered=12', 'zh-CN')).to.equal('您输入了12位，身份证号是18位。');
    expect(refText('id.ending?last4=002X', 'zh-CN')).to.equal('号码校验未通过。您输入的号码尾号是0，0，2，X。');
    expect(refText('id.ending?last4=002X', 'en-US')).to.equal('That number does not check out. It ends in 0, 0, 2, X.');
    expect(refText('goodbye', 'en-US')).to.equal(promptText('goodbye', 'en-US'));
  });

  it('SSML is heard and shown as its words: tags removed, entities decoded', () => {
    expect(ssmlProblem('<speak>A &amp; B <say-as interpret-as="characters">123</say-as></speak>')).to.equal(null);
    expect(ssmlToText('<speak>A &amp; B <say-as interpret-as="characters">123</say-as></speak>')).to.equal('A & B 123');
    expect(promptText('pin.weak.sequence', 'zh-CN')).to.equal('密码不能是连续的数字，例如123456或654321。');
  });
});
