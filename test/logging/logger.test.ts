import { Writable } from 'node:stream';
import { expect } from 'chai';
import winston from 'winston';
import { createLogger } from '../../src/logging/logger.ts';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _e, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger({ level: 'debug', format: 'json', transports: [new winston.transports.Stream({ stream })] });
  return { logger, lines };
}

describe('logger masking', () => {
  it('drops PINs and codes and masks ID numbers, phone numbers and addresses, whoever logs them', () => {
    const { logger, lines } = capture();
    logger.child({ callSid: 'CA1' }).info('something happened', {
      digits: '258036',
      pin: '258036',
      code: '771234',
      idNumber: '11010519491231002X',
      from: '+8613800138000',
      email: 'wang.fang@example.org',
      to: 'chen.jing@example.net',
      nested: { note: 'caller 11010519491231002X from +8613800138000' },
    });
    const line = JSON.parse(lines[0]) as Record<string, unknown>;
    expect(line.callSid).to.equal('CA1');
    expect(line.digits).to.equal('[redacted]');
    expect(line.code).to.equal('[redacted]');
    expect(line.idNumber).to.equal('1101**********002X');
    expect(line.from).to.equal('+86 138****8000');
    expect(line.email).to.equal('w***@example.org');
    expect(line.to).to.equal('c***@example.net');
    expect(lines[0]).not.to.contain('258036');
    expect(lines[0]).not.to.contain('771234');
    expect(lines[0]).not.to.contain('13800138000');
    expect(lines[0]).not.to.contain('11010519491231002X');
  });

  it('masks an ID number that appears in an error message', () => {
    const { logger, lines } = capture();
    logger.error('request failed', { error: new Error('duplicate key 11010519491231002X') });
    expect(lines[0]).to.contain('1101**********002X');
    expect(lines[0]).not.to.contain('11010519491231002X');
  });

  it('hides a lone 6-digit run in free text under any key, but keeps the callSid whole', () => {
    const { logger, lines } = capture();
    logger.child({ callSid: 'CA123456abcdef123456abcdef123456ab' }).info('caller typed 602481 at the prompt', { note: 'pin 602481', other: 'x602481y' });
    const line = JSON.parse(lines[0]) as Record<string, string>;
    expect(line.callSid).to.equal('CA123456abcdef123456abcdef123456ab');
    expect(line.message).to.equal('caller typed •••••• at the prompt');
    expect(line.note).to.equal('pin ••••••');
    expect(line.other).to.equal('x602481y');
  });

  it('redacts secrets and masks addresses at any depth, and survives a circular object', () => {
    const { logger, lines } = capture();
    let deep: Record<string, unknown> = { pin: '258036', email: 'wang.fang@example.org', note: 'mail chen.jing@example.net' };
    for (let i = 0; i < 12; i += 1) deep = { level: i, inner: deep };
    const circular: Record<string, unknown> = { name: 'loop' };
    circular.self = circular;
    logger.info('deep', { deep, circular, list: [[[[[[{ password: 'correct horse battery' }]]]]]] });
    expect(lines[0]).not.to.contain('258036');
    expect(lines[0]).not.to.contain('wang.fang@');
    expect(lines[0]).not.to.contain('chen.jing@');
    expect(lines[0]).not.to.contain('correct horse');
    expect(lines[0]).to.contain('w***@example.org').and.contain('[circular]');
  });

  it('masks e-mail addresses inside free text', () => {
    const { logger, lines } = capture();
    logger.warn('could not deliver to wang.fang@example.org, trying zhang.wei+hotline@mail.example.com', { reason: 'bounce from chen.jing@example.net' });
    const line = JSON.parse(lines[0]) as Record<string, string>;
    expect(line.message).to.equal('could not deliver to w***@example.org, trying z***@mail.example.com');
    expect(line.reason).to.equal('bounce from c***@example.net');
  });

  it("never logs a body parser's excerpt of the body", () => {
    const { logger, lines } = capture();
    const parseError = Object.assign(new SyntaxError(`Unexpected end of JSON input in '{"password":"hunter2-secret'`), { type: 'entity.parse.failed', body: '{"password":"hunter2-secret"' });
    logger.error('request failed', { error: parseError });
    expect(lines[0]).to.contain('entity.parse.failed');
    expect(lines[0]).not.to.contain('hunter2');
  });
});
