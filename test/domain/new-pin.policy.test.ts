import { expect } from 'chai';
import { COMMON_PINS } from '../../src/domain/common-pins.ts';
import { weakPinReason } from '../../src/domain/new-pin.policy.ts';

/** Born 1949-12-31; ends in X, so its last six digits are the six before the X: 231002. */
const ID_X = '11010519491231002X';
/** Born 1880-01-01; all digits, last six 010014. */
const ID_DIGITS = '440524188001010014';

describe('new card password policy', () => {
  describe('format', () => {
    for (const pin of ['', '12345', '1234567', '12a456', '12345*', '#12345', ' 25803', '２５８０３６', '25803.6']) {
      it(`"${pin}" is refused as format (exactly six ASCII digits are required)`, () => {
        expect(weakPinReason(pin, ID_X)).to.equal('format');
        expect(weakPinReason(pin, undefined)).to.equal('format');
      });
    }
  });

  describe('all the same digit', () => {
    for (const pin of ['000000', '111111', '555555', '999999']) {
      it(`${pin} is refused as all-same`, () => {
        expect(weakPinReason(pin, ID_X)).to.equal('all-same');
        expect(weakPinReason(pin, undefined)).to.equal('all-same');
      });
    }

    it('five the same and one different is not all-same (it is a two-digit pattern)', () => {
      expect(weakPinReason('555556', undefined)).to.equal('pattern');
    });
  });

  describe('straight runs', () => {
    for (const pin of ['123456', '012345', '234567', '456789']) {
      it(`ascending ${pin} is refused as sequence`, () => {
        expect(weakPinReason(pin, undefined)).to.equal('sequence');
      });
    }

    for (const pin of ['654321', '987654', '543210', '876543']) {
      it(`descending ${pin} is refused as sequence`, () => {
        expect(weakPinReason(pin, undefined)).to.equal('sequence');
      });
    }

    // What the code does: steps are taken modulo 10, so a run that wraps past 9 to 0 counts as a run too.
    for (const pin of ['890123', '901234', '789012', '678901']) {
      it(`ascending ${pin}, wrapping from 9 to 0, is also refused as sequence`, () => {
        expect(weakPinReason(pin, undefined)).to.equal('sequence');
      });
    }

    for (const pin of ['109876', '210987', '321098']) {
      it(`descending ${pin}, wrapping from 0 to 9, is also refused as sequence`, () => {
        expect(weakPinReason(pin, undefined)).to.equal('sequence');
      });
    }

    for (const pin of ['123457', '135791', '246802', '123321', '124578', '987655']) {
      it(`${pin} is not a straight run`, () => {
        expect(weakPinReason(pin, undefined)).not.to.equal('sequence');
      });
    }
  });

  describe('birth date inside the ID (11010519491231002X, born 1949-12-31)', () => {
    const refused: Array<[string, string]> = [
      ['491231', 'YYMMDD'],
      ['311249', 'DDMMYY'],
      ['123149', 'MMDDYY'],
      ['194912', 'YYYYMM'],
      ['121949', 'MMYYYY'],
      ['949123', 'six digits from inside YYYYMMDD'],
      ['001231', 'MMDD at the end'],
      ['123100', 'MMDD at the start'],
      ['512317', 'MMDD in the middle'],
      ['311200', 'DDMM at the start'],
      ['003112', 'DDMM at the end'],
    ];
    for (const [pin, form] of refused) {
      it(`${pin} (${form}) is refused as birth-date`, () => {
        expect(weakPinReason(pin, ID_X)).to.equal('birth-date');
      });
    }

    it('the same PINs are allowed for someone born on another day', () => {
      for (const [pin] of refused) expect(weakPinReason(pin, ID_DIGITS), pin).to.equal(null);
    });

    it('without an ID number the birth-date rule is not applied', () => {
      expect(weakPinReason('491231', undefined)).to.equal(null);
      expect(weakPinReason('491231', '')).to.equal(null);
    });

    it('an ID number that is not 18 characters is ignored', () => {
      expect(weakPinReason('491231', '110105491231002')).to.equal(null);
    });

    // What the code does: the year alone, or year and month as YYMM, is not treated as the birth date.
    it('the birth year alone (194900) or YYMM (491200) is allowed', () => {
      expect(weakPinReason('194900', ID_X)).to.equal(null);
      expect(weakPinReason('491200', ID_X)).to.equal(null);
    });

    it('born 1880-01-01: YYMMDD 800101 and anything holding 0101 are refused', () => {
      expect(weakPinReason('800101', ID_DIGITS)).to.equal('birth-date');
      expect(weakPinReason('010180', ID_DIGITS)).to.equal('birth-date');
      expect(weakPinReason('250101', ID_DIGITS)).to.equal('birth-date');
    });
  });

  describe("the ID's last six digits", () => {
    it('for an X-ending ID, the six digits before the X (231002) are refused as id-tail', () => {
      expect(weakPinReason('231002', ID_X)).to.equal('id-tail');
    });

    it('for an all-digit ID, its last six digits (010014) are refused as id-tail', () => {
      expect(weakPinReason('010014', ID_DIGITS)).to.equal('id-tail');
    });

    it("another person's ID tail is allowed", () => {
      expect(weakPinReason('231002', ID_DIGITS)).to.equal(null);
      expect(weakPinReason('010014', ID_X)).to.equal(null);
    });
  });

  describe('order of reasons', () => {
    it('all-same is reported before anything else', () => {
      expect(weakPinReason('111111', '110105191111110017')).to.equal('all-same');
    });

    it('never reports same-as-current (that needs the stored hash and is checked elsewhere)', () => {
      expect(weakPinReason('258036', ID_X)).to.equal(null);
    });
  });

  describe('the PINs attackers try first', () => {
    const examples: Array<[string, string]> = [
      ['112233', 'pattern'],
      ['121212', 'pattern'],
      ['123321', 'pattern'],
      ['520520', 'pattern'],
      ['147258', 'keypad'],
      ['159753', 'keypad'],
      ['111222', 'pattern'],
      ['000001', 'pattern'],
      ['666888', 'pattern'],
      ['202020', 'pattern'],
    ];
    for (const [pin, reason] of examples) {
      it(`${pin}, which the issue found accepted, is refused as ${reason}`, () => {
        expect(weakPinReason(pin, ID_X, '+8613800138000')).to.equal(reason);
      });
    }

    it('every PIN on the blocklist is refused, for a reason of its own when a rule already covers it', () => {
      for (const pin of COMMON_PINS) expect(weakPinReason(pin, undefined), pin).not.to.equal(null);
      expect(weakPinReason('315475', undefined)).to.equal('common');
      expect(weakPinReason('521314', undefined)).to.equal('common');
      expect(weakPinReason('168899', undefined)).to.equal('common');
    });

    it('keeps the hundred most common six-digit entries of its source and the Chinese numbers', () => {
      expect(COMMON_PINS.size).to.be.at.least(130);
      for (const pin of ['123456', '654321', '111111', '000000', '123123', '666666', '121212', '112233', '789456', '159753']) {
        expect(weakPinReason(pin, undefined), pin).not.to.equal(null);
      }
    });

    it('refuses repeated halves, mirrors, doubled pairs and two-digit PINs as patterns', () => {
      for (const pin of ['394394', '827728', '993377', '300333', '737337']) expect(weakPinReason(pin, undefined), pin).to.equal('pattern');
    });

    it('refuses two straight keypad lines as keypad', () => {
      for (const pin of ['369147', '357951', '852580', '321987']) expect(weakPinReason(pin, undefined), pin).to.equal('keypad');
      expect(weakPinReason('580317', undefined), 'one line and three other keys').to.equal(null);
    });

    it('refuses the last six digits of the registered mobile as mobile-tail', () => {
      expect(weakPinReason('138000', ID_X, '+8613800138000')).to.equal('mobile-tail');
      expect(weakPinReason('138000', ID_X, null)).to.equal(null);
      expect(weakPinReason('345678', ID_X, '+86 139-1234-5678')).to.equal('sequence');
    });
  });

  describe('strong PINs', () => {
    for (const pin of ['258036', '740193', '836150', '502947']) {
      it(`${pin} is accepted for both test IDs and with no ID`, () => {
        expect(weakPinReason(pin, ID_X, '+8613800138000')).to.equal(null);
        expect(weakPinReason(pin, ID_DIGITS)).to.equal(null);
        expect(weakPinReason(pin, undefined)).to.equal(null);
      });
    }
  });
});
