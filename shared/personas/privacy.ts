import type { SegmentSummary, SuppressedPersona } from '../contracts/outputs.ts';
import { compareText } from '../compare.ts';

/**
 * k-anonymity for personas: a persona describes a group, never a person.
 * - A segment with fewer than `minSize` customers gets no persona; it is listed as suppressed instead.
 * - A distribution value held by fewer than `minSize` customers of the segment is never named: it is folded
 *   into `other` (counted, not listed). This covers unique cities, rare occupations and one-off interests.
 * Personas are built from segment aggregates only, so customer ids, names and e-mail addresses never reach them.
 */
export function suppression(segment: Pick<SegmentSummary, 'id' | 'kind' | 'size'>, minSize: number): SuppressedPersona | null {
  if (segment.size >= minSize && segment.size > 0) return null;
  return {
    segment_id: segment.id,
    segment_kind: segment.kind,
    size: segment.size,
    reason: segment.size === 0 ? 'empty' : 'below_min_segment_size',
  };
}

export interface RawCount {
  value: string | null;
  customers: number;
}

export interface FoldedCounts {
  /** Known values with at least minSize customers, most customers first, ties alphabetical. */
  kept: { value: string; customers: number }[];
  other: { customers: number; values: number };
  known: number;
}

export function foldRare(values: readonly RawCount[], minSize: number): FoldedCounts {
  const known = values.filter((v): v is { value: string; customers: number } => v.value !== null);
  const sorted = [...known].sort((a, b) => b.customers - a.customers || compareText(a.value, b.value));
  const kept = sorted.filter((v) => v.customers >= minSize);
  const rare = sorted.filter((v) => v.customers < minSize);
  return {
    kept,
    other: { customers: rare.reduce((sum, v) => sum + v.customers, 0), values: rare.length },
    known: known.reduce((sum, v) => sum + v.customers, 0),
  };
}
