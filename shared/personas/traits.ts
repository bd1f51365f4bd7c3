import { round, share, type DistributionIndex } from '../segments/summarize.ts';
import type { Evidence } from '../contracts/outputs.ts';
import type { SegmentMetrics } from './metrics.ts';
import { foldRare } from './privacy.ts';
import { compareText } from '../compare.ts';

/** Distributions with lift against all customers, and the traits where a segment differs most. Pure. */

export interface NeutralValue {
  value: string;
  customers: number;
  share: number;
  baseline_share: number | null;
  lift: number | null;
}

export interface NeutralDistribution {
  dimension: string;
  dominant: string | null;
  dominant_share: number | null;
  known_share: number;
  values: NeutralValue[];
  other: { customers: number; share: number | null; values: number };
}

export const ALL_KEY = 'all|all_customers';

export interface DistributionContext {
  index: DistributionIndex;
  key: string;
  size: number;
  allSize: number;
  minSize: number;
}

/**
 * One dimension of a segment: values below the k-anonymity minimum folded into `other`, the rest with their share
 * of the segment, their share of all customers and the lift (share / baseline share). `knownOverride` gives the
 * number of customers with a known value where the counts do not (tag lists count tags, not customers).
 */
export function distributionOf(ctx: DistributionContext, dimension: string, limit = 10, knownOverride?: number): NeutralDistribution {
  const raw = ctx.index.get(ctx.key)?.get(dimension) ?? [];
  const folded = foldRare(raw, ctx.minSize);
  const baseline = new Map((ctx.index.get(ALL_KEY)?.get(dimension) ?? []).map((v) => [v.value, v.customers]));
  const known = knownOverride ?? folded.known;
  const values = folded.kept.slice(0, limit).map((v) => {
    const segmentShare = share(v.customers, ctx.size);
    const all = baseline.get(v.value);
    const baselineShare = all === undefined || ctx.allSize === 0 ? null : share(all, ctx.allSize);
    return {
      value: v.value,
      customers: v.customers,
      share: segmentShare,
      baseline_share: baselineShare,
      lift: baselineShare ? round(segmentShare / baselineShare, 3) : null,
    };
  });
  const top = values[0];
  return {
    dimension,
    dominant: top?.value ?? null,
    dominant_share: top && known > 0 ? share(top.customers, known) : null,
    known_share: share(Math.min(known, ctx.size), ctx.size),
    values,
    other: { customers: folded.other.customers, share: knownOverride === undefined ? share(folded.other.customers, ctx.size) : null, values: folded.other.values },
  };
}

/** A trait: a feature where the segment's figure differs from all customers', measured in standard deviations. */
export interface NeutralTrait {
  feature: string;
  /** For a distribution value: the value; the trait is then "share of the segment with feature = value". */
  value?: string;
  segment_value: number;
  baseline_value: number;
  lift: number | null;
  standardized_difference: number;
  evidence: Evidence[];
}

/** Below this absolute standardized difference a trait is not distinguishing (Cohen's "small" effect). */
export const MIN_TRAIT_DIFFERENCE = 0.2;
export const MAX_TRAITS = 5;

const NUMERIC_TRAITS: { feature: 'avg_frequency' | 'avg_monetary' | 'avg_recency_days' | 'app_share' | 'mobile_share' | 'social_clicks'; sd: keyof SegmentMetrics['sd'] }[] = [
  { feature: 'avg_frequency', sd: 'frequency' },
  { feature: 'avg_monetary', sd: 'monetary' },
  { feature: 'avg_recency_days', sd: 'recency_days' },
  { feature: 'app_share', sd: 'app_share' },
  { feature: 'mobile_share', sd: 'mobile_share' },
  { feature: 'social_clicks', sd: 'social_clicks' },
];
/** Per-customer yes/no figures: standard deviation √(p(1−p)) of all customers. */
const BINARY_TRAITS = ['buyers_share', 'browsers_share', 'email_opt_in', 'sms_opt_in', 'push_opt_in'] as const;
/** Dimensions whose values are compared (share of the segment with the value vs all customers). */
export const TRAIT_DIMENSIONS = [
  'age_band', 'gender', 'income_band', 'education', 'marital_status', 'occupation', 'country', 'region',
  'interests', 'lifestyle', 'top_category', 'top_device', 'top_os', 'top_browser',
] as const;

function proportionTrait(feature: string, p: number, base: number, value?: string): NeutralTrait | null {
  const sd = Math.sqrt(base * (1 - base));
  if (!(sd > 0)) return null;
  const metric = value === undefined ? feature : `${feature}=${value}`;
  return {
    feature,
    ...(value === undefined ? {} : { value }),
    segment_value: p,
    baseline_value: base,
    lift: base > 0 ? round(p / base, 3) : null,
    standardized_difference: round((p - base) / sd, 3),
    evidence: [{ metric, value: p, baseline: base }],
  };
}

export function distinguishingTraits(
  metrics: SegmentMetrics,
  baseline: SegmentMetrics,
  distributions: Readonly<Record<string, NeutralDistribution>>,
): NeutralTrait[] {
  const traits: NeutralTrait[] = [];
  for (const { feature, sd } of NUMERIC_TRAITS) {
    const v = metrics[feature];
    const b = baseline[feature];
    const s = baseline.sd[sd];
    if (v === null || b === null || s === null || !(s > 0)) continue;
    traits.push({
      feature,
      segment_value: v,
      baseline_value: b,
      lift: b !== 0 ? round(v / b, 3) : null,
      standardized_difference: round((v - b) / s, 3),
      evidence: [{ metric: feature, value: v, baseline: b }],
    });
  }
  for (const feature of BINARY_TRAITS) {
    const t = proportionTrait(feature, metrics[feature], baseline[feature]);
    if (t) traits.push(t);
  }
  for (const dimension of TRAIT_DIMENSIONS) {
    for (const v of distributions[dimension]?.values ?? []) {
      if (v.baseline_share === null) continue;
      const t = proportionTrait(dimension, v.share, v.baseline_share, v.value);
      if (t) traits.push(t);
    }
  }
  return traits
    .filter((t) => Math.abs(t.standardized_difference) >= MIN_TRAIT_DIFFERENCE)
    .sort((a, b) => Math.abs(b.standardized_difference) - Math.abs(a.standardized_difference) || compareText(a.feature, b.feature) || compareText(a.value ?? '', b.value ?? ''))
    .slice(0, MAX_TRAITS);
}

/** The items once each, in first-seen order. */
export const distinctOrdered = <T>(items: readonly T[]): T[] => [...new Set(items)];
