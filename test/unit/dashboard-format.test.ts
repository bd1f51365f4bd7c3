import { describe, expect, it } from 'vitest';
// @ts-expect-error -- the dashboard is plain JavaScript without type declarations, loaded as the browser loads it
import { money, moneyTotal } from '../../dashboard/lib/dom.js';

/** The dashboard's money formatting (Node's Intl is the browser's ICU): the run's currency when it names one. */
describe('dashboard money formatting', () => {
  it('shows totals in whole units below a million and compact from there, in the run’s currency', () => {
    expect(moneyTotal(555_939.1, 'GBP')).toBe('£555,939');
    expect(moneyTotal(10_000_733, 'EUR')).toBe('€10M');
    expect(moneyTotal(12_345_678, 'EUR')).toBe('€12.3M');
    expect(moneyTotal(12_345_678, null)).toBe('12.3M');
    expect(moneyTotal(-2_500_000, 'USD')).toBe('-$2.5M');
    expect(moneyTotal(null, 'EUR')).toBe('—');
  });

  it('formats order values with two decimals in the persona’s locale, plain without a currency', () => {
    expect(money(59.17, 'en-GB', 'GBP')).toBe('£59.17');
    expect(money(59.17, 'de-DE', 'EUR')).toBe('59,17\u00a0€');
    expect(money(59.17, 'en', null)).toBe('59.17');
    expect(money(undefined, 'en', 'EUR')).toBe('—');
  });
});
