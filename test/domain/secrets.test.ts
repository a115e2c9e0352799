import { expect } from 'chai';
import {
  ARGON2_OPTIONS,
  hashPin,
  keyedHash,
  newOneTimeCode,
  openText,
  sameDigest,
  sealText,
  verifyPin,
} from '../../src/security/secrets.ts';
import { Semaphore } from '../../src/security/semaphore.ts';

const PEPPER = 'test-pepper-0123456789abcdef';
const OTHER_PEPPER = 'another-pepper-fedcba9876543210';

/** A promise with its resolve and reject handles, to drive jobs step by step without timers. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets queued microtasks and promise continuations run. */
const drain = async (): Promise<void> => {
  for (let i = 0; i < 20; i += 1) await Promise.resolve();
};

describe('secrets', () => {
  describe('card password hashing (Argon2id)', () => {
    it('a hash is an Argon2id string at the OWASP parameters and does not hold the PIN', async () => {
      const hash = await hashPin('258036', PEPPER);
      const [, type, version, params, salt, digest] = hash.split('$');
      expect(type).to.equal('argon2id');
      expect(version).to.equal('v=19');
      expect(params.split(',').sort()).to.deep.equal(['m=19456', 'p=1', 't=2']);
      expect(Buffer.from(salt, 'base64').length, 'salt bytes').to.be.at.least(16);
      expect(digest).to.match(/^[A-Za-z0-9+/]+$/);
      expect(hash).not.to.contain('258036');
      expect(ARGON2_OPTIONS).to.deep.include({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
    });

    it('the right PIN with the right pepper verifies', async () => {
      const hash = await hashPin('258036', PEPPER);
      expect(await verifyPin(hash, '258036', PEPPER)).to.equal(true);
    });

    it('a wrong PIN does not verify', async () => {
      const hash = await hashPin('258036', PEPPER);
      expect(await verifyPin(hash, '258037', PEPPER)).to.equal(false);
      expect(await verifyPin(hash, '', PEPPER)).to.equal(false);
    });

    it('the right PIN with a wrong pepper does not verify (the pepper is part of the hash)', async () => {
      const hash = await hashPin('258036', PEPPER);
      expect(await verifyPin(hash, '258036', OTHER_PEPPER)).to.equal(false);
    });

    it('the same PIN hashed twice gets two different salts and two different hashes', async () => {
      const [a, b] = await Promise.all([hashPin('258036', PEPPER), hashPin('258036', PEPPER)]);
      expect(a).not.to.equal(b);
      expect(a.split('$')[4], 'salt').not.to.equal(b.split('$')[4]);
      expect(await verifyPin(a, '258036', PEPPER)).to.equal(true);
      expect(await verifyPin(b, '258036', PEPPER)).to.equal(true);
    });

    it('a damaged stored hash does not verify and does not throw', async () => {
      expect(await verifyPin('not-a-hash', '258036', PEPPER)).to.equal(false);
      expect(await verifyPin('', '258036', PEPPER)).to.equal(false);
    });
  });

  describe('keyed hashes', () => {
    it('are deterministic 64-character hex digests', () => {
      const a = keyedHash(PEPPER, 'citizen-id', '11010519491231002X');
      expect(a).to.match(/^[0-9a-f]{64}$/);
      expect(keyedHash(PEPPER, 'citizen-id', '11010519491231002X')).to.equal(a);
    });

    it('differ by purpose, so one use cannot stand in for another', () => {
      expect(keyedHash(PEPPER, 'citizen-id', '482915')).not.to.equal(keyedHash(PEPPER, 'otp:card', '482915'));
    });

    it('keep purpose and value apart (moving characters across the boundary changes the digest)', () => {
      expect(keyedHash(PEPPER, 'otp', ':card482915')).not.to.equal(keyedHash(PEPPER, 'otp:card', '482915'));
    });

    it('differ by pepper and by value', () => {
      expect(keyedHash(PEPPER, 'citizen-id', 'a')).not.to.equal(keyedHash(OTHER_PEPPER, 'citizen-id', 'a'));
      expect(keyedHash(PEPPER, 'citizen-id', 'a')).not.to.equal(keyedHash(PEPPER, 'citizen-id', 'b'));
    });

    it('do not contain the value', () => {
      expect(keyedHash(PEPPER, 'otp', '482915')).not.to.contain('482915');
    });

    it('sameDigest compares equal digests as equal and anything else as different', () => {
      const a = keyedHash(PEPPER, 'p', 'x');
      const b = keyedHash(PEPPER, 'p', 'y');
      expect(sameDigest(a, a)).to.equal(true);
      expect(sameDigest(a, b)).to.equal(false);
      expect(sameDigest(a, a.slice(0, 62))).to.equal(false);
      expect(sameDigest('', '')).to.equal(false);
    });
  });

  describe('one-time codes', () => {
    it('are always exactly six digits, leading zeros kept', () => {
      const codes = Array.from({ length: 3000 }, () => newOneTimeCode());
      for (const code of codes) expect(code).to.match(/^[0-9]{6}$/);
      // about 10% of codes start with 0; all 3000 missing that would be a padding bug
      expect(codes.some((c) => c.startsWith('0'))).to.equal(true);
    });

    it('vary from one to the next', () => {
      const codes = new Set(Array.from({ length: 1000 }, () => newOneTimeCode()));
      expect(codes.size).to.be.greaterThan(950);
    });
  });

  describe('sealed outbox text', () => {
    const body = '【医保密码热线】您的验证码是482915，5分钟内有效。';

    it('opens back to the same text', () => {
      expect(openText(PEPPER, sealText(PEPPER, body))).to.equal(body);
      expect(openText(PEPPER, sealText(PEPPER, ''))).to.equal('');
    });

    it('does not hold the code in clear and differs each time it is sealed', () => {
      const a = sealText(PEPPER, body);
      const b = sealText(PEPPER, body);
      expect(a).not.to.contain('482915');
      expect(Buffer.from(a.split('.')[2], 'base64').toString('utf8')).not.to.contain('482915');
      expect(a).not.to.equal(b);
    });

    it('cannot be opened with another pepper', () => {
      expect(() => openText(OTHER_PEPPER, sealText(PEPPER, body))).to.throw();
    });

    it('a changed body is detected', () => {
      const [iv, tag, sealedBody] = sealText(PEPPER, body).split('.');
      const bytes = Buffer.from(sealedBody, 'base64');
      bytes[0] ^= 0x01;
      expect(() => openText(PEPPER, [iv, tag, bytes.toString('base64')].join('.'))).to.throw();
    });

    it('a changed authentication tag or IV is detected', () => {
      const [iv, tag, sealedBody] = sealText(PEPPER, body).split('.');
      const badTag = Buffer.from(tag, 'base64');
      badTag[3] ^= 0x80;
      expect(() => openText(PEPPER, [iv, badTag.toString('base64'), sealedBody].join('.'))).to.throw();
      const badIv = Buffer.from(iv, 'base64');
      badIv[0] ^= 0x01;
      expect(() => openText(PEPPER, [badIv.toString('base64'), tag, sealedBody].join('.'))).to.throw();
    });
  });

  describe('Semaphore', () => {
    it('never runs more jobs at once than its limit, and uses the whole limit', async () => {
      const limit = 3;
      const semaphore = new Semaphore(limit);
      let active = 0;
      let maxActive = 0;
      const gates = Array.from({ length: 12 }, () => deferred());
      const started: number[] = [];
      const results = gates.map((gate, i) =>
        semaphore.run(async () => {
          active += 1;
          maxActive = Math.max(maxActive, active);
          started.push(i);
          await gate.promise;
          active -= 1;
          return i * 10;
        }),
      );
      await drain();
      expect(started).to.deep.equal([0, 1, 2]);
      // finish jobs in a scrambled order; each finish lets exactly one waiting job in
      for (const i of [1, 0, 2, 5, 3, 4, 8, 6, 7, 11, 9, 10]) {
        gates[i].resolve();
        await drain();
        expect(active, `after job ${i} finished`).to.be.at.most(limit);
      }
      expect(await Promise.all(results)).to.deep.equal(gates.map((_, i) => i * 10));
      expect(maxActive).to.equal(limit);
      expect(started).to.have.length(12);
    });

    it('a job that fails frees its slot and its error reaches the caller', async () => {
      const semaphore = new Semaphore(1);
      let active = 0;
      let maxActive = 0;
      const track = async <T>(work: () => Promise<T>): Promise<T> => {
        active += 1;
        maxActive = Math.max(maxActive, active);
        try {
          return await work();
        } finally {
          active -= 1;
        }
      };
      const failing = semaphore.run(() =>
        track(async () => {
          throw new Error('hash failed');
        }),
      );
      const next = semaphore.run(() => track(async () => 'ran'));
      const third = semaphore.run(() => track(async () => 'ran too'));
      let error: unknown;
      try {
        await failing;
      } catch (e) {
        error = e;
      }
      expect((error as Error).message).to.equal('hash failed');
      expect(await next).to.equal('ran');
      expect(await third).to.equal('ran too');
      expect(maxActive).to.equal(1);
    });

    it('after a burst drains, the full limit is available again', async () => {
      const semaphore = new Semaphore(2);
      await Promise.all(Array.from({ length: 5 }, () => semaphore.run(async () => undefined)));
      let active = 0;
      let maxActive = 0;
      const gates = [deferred(), deferred(), deferred()];
      const runs = gates.map((gate) =>
        semaphore.run(async () => {
          active += 1;
          maxActive = Math.max(maxActive, active);
          await gate.promise;
          active -= 1;
        }),
      );
      await drain();
      expect(active).to.equal(2);
      for (const gate of gates) gate.resolve();
      await Promise.all(runs);
      expect(maxActive).to.equal(2);
    });
  });
});
