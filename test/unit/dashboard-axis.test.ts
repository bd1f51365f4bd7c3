import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- the dashboard is plain JavaScript without type declarations, loaded as the browser loads it
import { countTicks } from '../../dashboard/lib/charts.js';
// @ts-expect-error -- as above
import { compact } from '../../dashboard/lib/dom.js';

/** The trend chart's y axis: round, exact labels for customer counts (the 2026-06 screenshots read 1.3K for 1,250). */
describe('trend chart y-axis ticks', () => {
  it('picks a round step that covers the largest count in at most five intervals', () => {
    expect(countTicks(4_400)).toEqual([0, 1_000, 2_000, 3_000, 4_000, 5_000]);
    expect(countTicks(5_001)).toEqual([0, 2_000, 4_000, 6_000]);
    expect(countTicks(11_000)).toEqual([0, 2_500, 5_000, 7_500, 10_000, 12_500]);
    expect(countTicks(12)).toEqual([0, 5, 10, 15]);
    expect(countTicks(3)).toEqual([0, 1, 2, 3]);
    expect(countTicks(0)).toEqual([0, 1]);
    expect(countTicks(1_200_000).map(compact)).toEqual(['0', '250K', '500K', '750K', '1M', '1.25M']);
  });

  it('labels every tick exactly, with whole-number steps, for any count up to a billion', () => {
    fc.assert(
      // Spread over every order of magnitude, not mostly near a billion.
      fc.property(fc.integer({ min: 0, max: 9 }), fc.double({ min: 1, max: 10, noNaN: true }), (exponent, mantissa) => {
        const max = Math.floor(mantissa * 10 ** exponent);
        const ticks: number[] = countTicks(max);
        const step = ticks[1]! - ticks[0]!;
        expect(ticks[0]).toBe(0);
        expect(ticks.length).toBeLessThanOrEqual(6);
        expect(ticks.at(-1)).toBeGreaterThanOrEqual(max);
        expect(ticks.at(-2)! < max || max === 0).toBe(true);
        expect(Number.isInteger(step) && step >= 1).toBe(true);
        for (const t of ticks) {
          const label: string = compact(t);
          const scale = { K: 1e3, M: 1e6, B: 1e9 }[label.at(-1) as 'K' | 'M' | 'B'] ?? 1;
          expect(Number.parseFloat(label) * scale, label).toBeCloseTo(t, 6);
        }
      }),
    );
  });
});
