import { expect } from 'chai';
import { formatLocal, formatLocalInput, isTimeZone, nextMinute, offsetLabel, parseLocal, quickRange } from '../../src/domain/local-time.ts';

const SH = 'Asia/Shanghai';
const iso = (d: Date | null) => d?.toISOString() ?? null;

describe('local time for the console', () => {
  it('shows a moment ISO-like, 24-hour, in the zone, labelled with its offset', () => {
    const at = new Date('2026-03-01T08:00:05Z');
    expect(formatLocal(at, SH)).to.equal('2026-03-01 16:00:05 (UTC+8)');
    expect(formatLocal(new Date('2026-03-01T18:30:00Z'), SH)).to.equal('2026-03-02 02:30:00 (UTC+8)');
    expect(formatLocal(at, 'UTC')).to.equal('2026-03-01 08:00:05 (UTC)');
    expect(formatLocal(at, 'Asia/Kolkata')).to.equal('2026-03-01 13:30:05 (UTC+5:30)');
    expect(formatLocal(at, 'America/St_Johns')).to.equal('2026-03-01 04:30:05 (UTC-3:30)');
    expect(offsetLabel(new Date('2026-07-01T12:00:00Z'), 'Europe/Berlin')).to.equal('UTC+2');
    expect(offsetLabel(new Date('2026-01-01T12:00:00Z'), 'Europe/Berlin')).to.equal('UTC+1');
  });

  it('writes form values without the label, seconds only when there are some', () => {
    expect(formatLocalInput(new Date('2026-03-01T08:00:00Z'), SH)).to.equal('2026-03-01 16:00');
    expect(formatLocalInput(new Date('2026-03-01T08:00:07Z'), SH)).to.equal('2026-03-01 16:00:07');
  });

  it('reads typed times in the zone, a date alone as its midnight, and Z or an offset as written', () => {
    expect(iso(parseLocal('2026-03-01 16:00', SH))).to.equal('2026-03-01T08:00:00.000Z');
    expect(iso(parseLocal(' 2026-03-01T16:00:30 ', SH))).to.equal('2026-03-01T08:00:30.000Z');
    expect(iso(parseLocal('2026-03-01', SH))).to.equal('2026-02-28T16:00:00.000Z');
    expect(iso(parseLocal('2026-03-01T08:00Z', SH))).to.equal('2026-03-01T08:00:00.000Z');
    expect(iso(parseLocal('2026-03-01 09:00+01:00', SH))).to.equal('2026-03-01T08:00:00.000Z');
    for (const bad of ['03/01/2026 4:00 PM', '2026-02-30', '2026-03-01 24:00', '2026-13-01', '2026-3-1', 'yesterday', '']) expect(parseLocal(bad, SH), bad).to.equal(null);
  });

  it('across a daylight-saving change: the skipped hour moves forward, the repeated hour takes its first moment', () => {
    expect(iso(parseLocal('2026-03-08 02:30', 'America/New_York'))).to.equal('2026-03-08T07:30:00.000Z');
    expect(iso(parseLocal('2026-11-01 01:30', 'America/New_York'))).to.equal('2026-11-01T05:30:00.000Z');
    expect(iso(parseLocal('2026-07-01 12:00', 'America/New_York'))).to.equal('2026-07-01T16:00:00.000Z');
  });

  it('quick ranges are whole days in the zone (today, yesterday, the last 7 days) or the last hour', () => {
    const now = new Date('2026-03-01T17:00:00Z'); // 01:00 on 2 March in Shanghai
    const range = (name: Parameters<typeof quickRange>[0], zone = SH) => {
      const r = quickRange(name, now, zone);
      return [iso(r.from), iso(r.to)];
    };
    expect(range('today')).to.deep.equal(['2026-03-01T16:00:00.000Z', '2026-03-02T16:00:00.000Z']);
    expect(range('yesterday')).to.deep.equal(['2026-02-28T16:00:00.000Z', '2026-03-01T16:00:00.000Z']);
    expect(range('last-7-days')).to.deep.equal(['2026-02-23T16:00:00.000Z', '2026-03-02T16:00:00.000Z']);
    expect(range('last-hour')).to.deep.equal(['2026-03-01T16:00:00.000Z', '2026-03-01T17:01:00.000Z']);
    expect(range('today', 'UTC')).to.deep.equal(['2026-03-01T00:00:00.000Z', '2026-03-02T00:00:00.000Z']);
    expect(iso(quickRange('today', new Date('2026-03-08T12:00:00Z'), 'America/New_York').to)).to.equal('2026-03-09T04:00:00.000Z');
    expect(iso(nextMinute(new Date('2026-03-01T08:00:00Z')))).to.equal('2026-03-01T08:01:00.000Z');
  });

  it('tells a real time zone from a typo', () => {
    expect(isTimeZone('Asia/Shanghai')).to.equal(true);
    expect(isTimeZone('UTC')).to.equal(true);
    expect(isTimeZone('China/Beijing')).to.equal(false);
  });
});
