import type { RfmSegmentId } from '../contracts/features.ts';
import { sqlString } from '../sql/literals.ts';

/**
 * The RFM grid: (R, F, M) scores → one named segment. Written as a decision list over disjoint ranges so that
 * it is a total function by construction (every branch either returns or narrows the remaining cells); a test
 * walks all 125 cells. It follows the widely used R×F map (Champions = R5 F4–5, Loyal = R3–5 F4–5, …) and uses
 * M only where the grid names money: big spenders who left are "Can't Lose Them", the cheapest long-gone
 * one-off buyers are "Lost".
 */
export function rfmSegmentFor(r: number, f: number, m: number): RfmSegmentId {
  for (const [name, v] of [['r', r], ['f', f], ['m', m]] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 5) throw new RangeError(`${name} score must be an integer 1–5, got ${v}`);
  }
  if (r >= 3) {
    if (f >= 4) return r === 5 ? 'champions' : 'loyal';
    if (r >= 4) {
      if (f >= 2) return 'potential_loyalist';
      return r === 5 ? 'new_customers' : 'promising';
    }
    return f === 3 ? 'need_attention' : 'about_to_sleep';
  }
  // r ∈ {1, 2}: customers who have not bought for a long time.
  if (f === 5 || (f >= 3 && m === 5)) return 'cant_lose_them';
  if (f >= 3) return 'at_risk';
  if (r === 1 && f === 1 && m <= 2) return 'lost';
  return 'hibernating';
}

export const RFM_SEGMENT_NAMES: Record<RfmSegmentId, string> = {
  champions: 'Champions',
  loyal: 'Loyal',
  potential_loyalist: 'Potential Loyalist',
  new_customers: 'New Customers',
  promising: 'Promising',
  need_attention: 'Need Attention',
  about_to_sleep: 'About to Sleep',
  at_risk: 'At Risk',
  cant_lose_them: "Can't Lose Them",
  hibernating: 'Hibernating',
  lost: 'Lost',
  no_purchase: 'No Purchase Yet',
};

export function allRfmCells(): { r: number; f: number; m: number; segment: RfmSegmentId }[] {
  const cells = [];
  for (let r = 1; r <= 5; r++)
    for (let f = 1; f <= 5; f++) for (let m = 1; m <= 5; m++) cells.push({ r, f, m, segment: rfmSegmentFor(r, f, m) });
  return cells;
}

/**
 * The same function as SQL, generated from the TypeScript above so the two cannot drift: each segment lists its
 * cells as three-digit codes. Customers without a purchase order have NULL scores and get `no_purchase`.
 * There is deliberately no ELSE: a cell the grid missed would surface as NULL and fail the coverage gate.
 */
export function rfmSegmentSql(r: string, f: string, m: string, frequency: string): string {
  const bySegment = new Map<RfmSegmentId, number[]>();
  for (const cell of allRfmCells()) {
    const codes = bySegment.get(cell.segment) ?? [];
    codes.push(cell.r * 100 + cell.f * 10 + cell.m);
    bySegment.set(cell.segment, codes);
  }
  const code = `(${r} * 100 + ${f} * 10 + ${m})`;
  const branches = [...bySegment].map(([segment, codes]) => `WHEN ${code} IN (${codes.join(', ')}) THEN ${sqlString(segment)}`);
  return `CASE WHEN ${frequency} = 0 THEN 'no_purchase' ${branches.join(' ')} END`;
}
