import { describe, expect, it } from 'vitest';
import { RFM_SEGMENT_IDS } from '../../shared/contracts/features.ts';
import { allRfmCells, rfmSegmentFor } from '../../shared/segments/rfm-grid.ts';

describe('RFM grid', () => {
  it('maps each of the 125 (R, F, M) cells to exactly one named segment', () => {
    const cells = allRfmCells();
    expect(cells).toHaveLength(125);
    const named = RFM_SEGMENT_IDS.filter((id) => id !== 'no_purchase');
    for (const cell of cells) {
      // exactly one: the function returns a single id, and it is one of the eleven grid names
      expect(named).toContain(cell.segment);
      expect(rfmSegmentFor(cell.r, cell.f, cell.m)).toBe(cell.segment);
    }
  });

  it('uses every grid segment and never the no-purchase bucket', () => {
    const used = new Set(allRfmCells().map((c) => c.segment));
    expect([...used].sort()).toEqual(RFM_SEGMENT_IDS.filter((id) => id !== 'no_purchase').sort());
  });

  it('follows the R×F map at its corners', () => {
    expect(rfmSegmentFor(5, 5, 5)).toBe('champions');
    expect(rfmSegmentFor(5, 1, 1)).toBe('new_customers');
    expect(rfmSegmentFor(4, 1, 3)).toBe('promising');
    expect(rfmSegmentFor(3, 3, 3)).toBe('need_attention');
    expect(rfmSegmentFor(1, 5, 1)).toBe('cant_lose_them');
    expect(rfmSegmentFor(2, 3, 5)).toBe('cant_lose_them');
    expect(rfmSegmentFor(2, 3, 4)).toBe('at_risk');
    expect(rfmSegmentFor(1, 1, 1)).toBe('lost');
    expect(rfmSegmentFor(1, 1, 3)).toBe('hibernating');
  });

  it('is monotone in recency: a more recent customer is never in a more lapsed group', () => {
    const lapsed = new Set(['at_risk', 'cant_lose_them', 'hibernating', 'lost']);
    for (let f = 1; f <= 5; f++)
      for (let m = 1; m <= 5; m++) {
        expect(lapsed.has(rfmSegmentFor(5, f, m))).toBe(false);
        expect(lapsed.has(rfmSegmentFor(1, f, m))).toBe(true);
      }
  });

  it('rejects scores outside 1–5', () => {
    expect(() => rfmSegmentFor(0, 1, 1)).toThrow(RangeError);
    expect(() => rfmSegmentFor(1, 6, 1)).toThrow(RangeError);
    expect(() => rfmSegmentFor(1, 1, 2.5)).toThrow(RangeError);
  });
});
