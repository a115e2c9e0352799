import { expect } from 'chai';
import { checkCharacter, checkCitizenId, idFromKeypad, maskCitizenId } from '../../src/domain/citizen-id.ts';

/** Independent GB 11643 check character, so fixtures do not depend on the code under test. */
function withCheckCharacter(first17: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((acc, d, i) => acc + Number(d) * weights[i], 0);
  return first17 + '10X98765432'[sum % 11];
}

const TODAY = new Date(Date.UTC(2025, 5, 15, 12));

describe('citizen ID numbers (GB 11643)', () => {
  describe('valid numbers', () => {
    it('11010519491231002X is valid, born 31 December 1949', () => {
      expect(checkCitizenId('11010519491231002X')).to.deep.equal({
        ok: true,
        idNumber: '11010519491231002X',
        birthDate: { year: 1949, month: 12, day: 31 },
      });
    });

    it('440524188001010014 is valid, born 1 January 1880', () => {
      expect(checkCitizenId('440524188001010014')).to.deep.equal({
        ok: true,
        idNumber: '440524188001010014',
        birthDate: { year: 1880, month: 1, day: 1 },
      });
    });

    it('the check character follows the weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2 and the map 1 0 X 9 8 7 6 5 4 3 2', () => {
      expect(checkCharacter('11010519491231002')).to.equal('X');
      expect(checkCharacter('44052418800101001')).to.equal('4');
      // one first-17 for every remainder 0..10 yields every check character
      const seen = new Set<string>();
      for (let n = 0; n < 200 && seen.size < 11; n += 1) {
        const first17 = `1101051990010${String(n).padStart(3, '0')}1`;
        expect(checkCharacter(first17), first17).to.equal(withCheckCharacter(first17).slice(-1));
        seen.add(checkCharacter(first17));
      }
      expect([...seen].sort()).to.deep.equal(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'X']);
    });

    it('independently built numbers with correct check characters are accepted', () => {
      for (const first17 of ['11010520000229123', '31011519800615432', '51010719991231000']) {
        const id = withCheckCharacter(first17);
        expect(checkCitizenId(id, TODAY).ok, id).to.equal(true);
      }
    });

    it('a lower-case x is read as X', () => {
      const check = checkCitizenId('11010519491231002x');
      expect(check.ok).to.equal(true);
      if (check.ok) expect(check.idNumber).to.equal('11010519491231002X');
    });

    it('surrounding spaces are ignored', () => {
      expect(checkCitizenId(' 11010519491231002X ').ok).to.equal(true);
    });

    it('someone born today is accepted', () => {
      expect(checkCitizenId(withCheckCharacter('11010520250615002'), TODAY).ok).to.equal(true);
    });

    it('29 February of a leap year is a real birth date', () => {
      expect(checkCitizenId(withCheckCharacter('11010520000229002'), TODAY).ok).to.equal(true);
    });
  });

  describe('the check digit', () => {
    for (const valid of ['11010519491231002X', '440524188001010014']) {
      it(`every other last character of ${valid} is refused as a check-digit problem`, () => {
        const others = '0123456789X'.split('').filter((c) => c !== valid[17]);
        expect(others).to.have.length(10);
        for (const last of others) {
          expect(checkCitizenId(valid.slice(0, 17) + last), last).to.deep.equal({ ok: false, problem: 'check-digit' });
        }
      });
    }

    it('a changed digit elsewhere is caught by the check character', () => {
      expect(checkCitizenId('11010519491231003X')).to.deep.equal({ ok: false, problem: 'check-digit' });
      expect(checkCitizenId('440524188001010114')).to.deep.equal({ ok: false, problem: 'check-digit' });
    });
  });

  describe('length and characters', () => {
    for (const [what, raw] of [
      ['empty', ''],
      ['17 characters', '11010519491231002'],
      ['19 characters', '11010519491231002X0'],
      ['15 characters (old-style number)', '110105491231002'],
    ] as const) {
      it(`${what} is refused as a length problem`, () => {
        expect(checkCitizenId(raw)).to.deep.equal({ ok: false, problem: 'length' });
      });
    }

    for (const [what, raw] of [
      ['a number with letters', '1101051949123100AB'],
      ['a number with an X before the end', '1101051949X231002X'],
      ['a number ending in a hash sign', '11010519491231002#'],
      ['a number with a space inside', '110105 9491231002X'],
    ] as const) {
      it(`${what} is refused as a characters problem`, () => {
        expect(checkCitizenId(raw)).to.deep.equal({ ok: false, problem: 'characters' });
      });
    }
  });

  describe('birth date', () => {
    for (const [what, first17] of [
      ['30 February', '11010519490230002'],
      ['month 13', '11010519491331002'],
      ['month 00', '11010519490031002'],
      ['day 00', '11010519491200002'],
      ['31 April', '11010519490431002'],
      ['29 February 1900 (not a leap year)', '11010519000229002'],
      ['a year before 1850', '11010518491231002'],
    ] as const) {
      it(`${what}, even with a correct check character, is refused as a birth-date problem`, () => {
        expect(checkCitizenId(withCheckCharacter(first17), TODAY)).to.deep.equal({ ok: false, problem: 'birth-date' });
      });
    }

    it('a birth date in the future is refused', () => {
      expect(checkCitizenId(withCheckCharacter('11010520250616002'), TODAY)).to.deep.equal({ ok: false, problem: 'birth-date' });
      expect(checkCitizenId(withCheckCharacter('11010520990101002'))).to.deep.equal({ ok: false, problem: 'birth-date' });
    });
  });

  describe('keypad entry', () => {
    it('star on the keypad stands for the final X', () => {
      expect(idFromKeypad('11010519491231002*')).to.equal('11010519491231002X');
      const check = checkCitizenId('11010519491231002*');
      expect(check.ok).to.equal(true);
      if (check.ok) expect(check.idNumber).to.equal('11010519491231002X');
    });

    it('star where the check character is a digit is refused', () => {
      expect(checkCitizenId('44052418800101001*')).to.deep.equal({ ok: false, problem: 'check-digit' });
    });

    it('star in the middle is refused', () => {
      expect(checkCitizenId('1101051949*231002*').ok).to.equal(false);
    });
  });

  describe('masking', () => {
    it('keeps the first four and last four characters: 1101**********002X', () => {
      expect(maskCitizenId('11010519491231002X')).to.equal('1101**********002X');
      expect(maskCitizenId('440524188001010014')).to.equal('4405**********0014');
    });

    it('the birth date never survives masking', () => {
      expect(maskCitizenId('11010519491231002X')).not.to.contain('1949');
      expect(maskCitizenId('11010519491231002X')).not.to.contain('1231');
    });

    it('a short value is masked entirely', () => {
      expect(maskCitizenId('12345678')).to.equal('********');
      expect(maskCitizenId('')).to.equal('');
    });
  });
});
