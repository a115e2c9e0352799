import { expect } from 'chai';
import { maskCitizenId } from '../../src/domain/citizen-id.ts';
import { maskAddress, maskEmail, maskFreeText, maskPhone } from '../../src/domain/masking.ts';

describe('masking what supervisors and logs see', () => {
  describe('phone numbers', () => {
    it('a Chinese mobile in E.164 shows as +86 138****8000', () => {
      expect(maskPhone('+8613800138000')).to.equal('+86 138****8000');
    });

    it('a Chinese mobile without the country code keeps three and four digits', () => {
      expect(maskPhone('13800138000')).to.equal('138****8000');
    });

    it('another country keeps its plus, the first three and the last four digits', () => {
      expect(maskPhone('+14158675309')).to.equal('+141****5309');
    });

    it('separators are ignored', () => {
      expect(maskPhone('+86 138-0013-8000')).to.equal('+86 138****8000');
    });

    it('the middle digits never survive', () => {
      expect(maskPhone('+8613800138000')).not.to.contain('0013');
    });

    it('a short number is masked entirely, an empty or missing one is empty', () => {
      expect(maskPhone('123456')).to.equal('******');
      expect(maskPhone('')).to.equal('');
      expect(maskPhone(null)).to.equal('');
      expect(maskPhone(undefined)).to.equal('');
    });
  });

  describe('email addresses', () => {
    it('keeps the first letter of the name and the domain', () => {
      expect(maskEmail('zhang.wei@example.com')).to.equal('z***@example.com');
      expect(maskEmail('a@b.cn')).to.equal('a***@b.cn');
    });

    it('the rest of the name never survives', () => {
      expect(maskEmail('zhang.wei@example.com')).not.to.contain('hang');
    });

    it('something that is not an address is fully masked, empty stays empty', () => {
      expect(maskEmail('@example.com')).to.equal('***');
      expect(maskEmail('no-at-sign')).to.equal('***');
      expect(maskEmail('')).to.equal('');
      expect(maskEmail(null)).to.equal('');
    });

    it('maskAddress picks the right mask for a phone number or an address', () => {
      expect(maskAddress('zhang.wei@example.com')).to.equal('z***@example.com');
      expect(maskAddress('+8613800138000')).to.equal('+86 138****8000');
    });
  });

  describe('free text', () => {
    it('masks a citizen ID number inside a sentence', () => {
      expect(maskFreeText('caller entered 11010519491231002X for the card')).to.equal('caller entered 1101**********002X for the card');
    });

    it('masks an all-digit ID number and a lower-case x ID number', () => {
      expect(maskFreeText('id=440524188001010014')).to.equal('id=4405**********0014');
      expect(maskFreeText('id 11010519491231002x')).to.equal('id 1101**********002X');
    });

    it('masks phone numbers, with or without the plus', () => {
      expect(maskFreeText('sms to +8613800138000 sent')).to.equal('sms to +86 138****8000 sent');
      expect(maskFreeText('call from 13800138000.')).to.equal('call from 138****8000.');
    });

    it('masks several values in one text and leaves the rest alone', () => {
      const text = 'card 11010519491231002X, mobile +8613800138000, other 440524188001010014; step 12 at 2025-06-15';
      expect(maskFreeText(text)).to.equal('card 1101**********002X, mobile +86 138****8000, other 4405**********0014; step 12 at 2025-06-15');
    });

    it('leaves short numbers alone', () => {
      expect(maskFreeText('step 1234567 of 42')).to.equal('step 1234567 of 42');
    });

    it('does not mask a masked value again', () => {
      const once = maskFreeText('card 11010519491231002X mobile +8613800138000');
      expect(maskFreeText(once)).to.equal(once);
    });

    it('no full ID or phone number survives in a JSON line', () => {
      const line = JSON.stringify({ message: 'lookup', detail: 'id 440524188001010014 from +8613800138000' });
      const masked = maskFreeText(line);
      expect(masked).not.to.contain('440524188001010014');
      expect(masked).not.to.contain('13800138000');
    });

    // The keypad form of an X-ending ID is what a caller actually sends (Twilio `Digits`).
    it('masks an ID number in its keypad form, with * for the final X', () => {
      const masked = maskFreeText('Digits=11010519491231002* rejected');
      expect(masked).not.to.contain('11010519491231002');
      expect(masked).to.contain(maskCitizenId('11010519491231002X').slice(0, 8));
    });
  });
});
