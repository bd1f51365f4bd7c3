import type { SegmentsConfig } from '../contracts/config.ts';
import { LIFECYCLE_STAGES, RFM_SEGMENT_IDS } from '../contracts/features.ts';
import type { SegmentKind, SegmentSummary, ValueCount } from '../contracts/outputs.ts';
import type { Row } from '../engines/query-engine.ts';
import { LIFECYCLE_NAMES } from './lifecycle.ts';
import { RFM_SEGMENT_NAMES } from './rfm-grid.ts';
import { compareText } from '../compare.ts';

/** Pure assembly of segments.json entries from the aggregate query results. */

export interface SegmentRef {
  kind: SegmentKind;
  id: string;
  name: string;
  description?: string;
}

export const segmentKey = (kind: string, id: string) => `${kind}|${id}`;

/** Every segment the run defines, in display order, whether or not it has customers. */
export function definedSegments(config: SegmentsConfig, discovered: readonly SegmentRef[] = []): SegmentRef[] {
  return [
    { kind: 'all', id: 'all_customers', name: 'All customers' },
    ...RFM_SEGMENT_IDS.map((id) => ({ kind: 'rfm' as const, id, name: RFM_SEGMENT_NAMES[id] })),
    ...LIFECYCLE_STAGES.map((id) => ({ kind: 'lifecycle' as const, id, name: LIFECYCLE_NAMES[id] })),
    ...config.segments.map((s) => ({
      kind: 'rule' as const,
      id: s.id,
      name: s.name,
      ...(s.description ? { description: s.description } : {}),
    })),
    ...discovered,
  ];
}

/** What naming a discovered segment needs: its standardised centre and the features' words. */
export interface DiscoveredCentre {
  segmentId: string;
  centreZ: Record<string, number>;
  /** The centre in the features' own units, quoted in the description. */
  centre: Record<string, number>;
}

/** A centre coordinate counts as distinctive from this many standard deviations away from the mean. */
const DISTINCTIVE_Z = 0.5;

const capitalise = (text: string) => `${text.charAt(0).toUpperCase()}${text.slice(1)}`;

const formatValue = (v: number) =>
  Math.abs(v) < 0.005 ? '0' : Math.abs(v) >= 100 ? String(Math.round(v)) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);

/**
 * Names from the data: the two features on which the centre lies farthest from the average customer, e.g.
 * "High returns, high order value"; the description lists up to four such features with the centre's value and
 * its distance in standard deviations. Segments whose names would be the same each add their most distinctive
 * feature that none of the others shares, so the names say how they differ; only if there is none do they get
 * their number.
 */
export function discoveredSegmentRefs(
  centres: readonly DiscoveredCentre[],
  features: readonly { id: string; label: string }[],
): SegmentRef[] {
  const words = (r: { f: { label: string }; z: number }) => `${r.z > 0 ? 'high' : 'low'} ${r.f.label}`;
  const profiles = centres.map((c) => {
    const ranked = features
      .map((f) => ({ f, z: c.centreZ[f.id] ?? 0 }))
      .sort((a, b) => Math.abs(b.z) - Math.abs(a.z) || compareText(a.f.id, b.f.id));
    const distinctive = ranked.filter((r) => Math.abs(r.z) >= DISTINCTIVE_Z);
    const name = distinctive.length === 0 ? 'Close to the average customer' : capitalise(distinctive.slice(0, 2).map(words).join(', '));
    return { c, ranked, distinctive, name };
  });
  const named = profiles.map((p) => {
    const rivals = profiles.filter((o) => o !== p && o.name === p.name);
    if (rivals.length === 0) return p.name;
    const theirs = new Set(rivals.flatMap((o) => o.distinctive.map(words)));
    const own = p.distinctive.slice(2).find((r) => !theirs.has(words(r)));
    return own ? `${p.name}, ${words(own)}` : p.name;
  });
  return profiles.map((p, i) => {
    const facts = (p.distinctive.length > 0 ? p.distinctive : p.ranked).slice(0, 4).map(
      (r) => `${r.f.label} ${formatValue(p.c.centre[r.f.id] ?? 0)} (${r.z >= 0 ? '+' : ''}${r.z.toFixed(1)} sd)`,
    );
    const name = named[i]!;
    return {
      kind: 'discovered' as const,
      id: p.c.segmentId,
      name: named.indexOf(name) === named.lastIndexOf(name) ? name : `${name} (${p.c.segmentId.replace(/^\D+/, '')})`,
      description: `Discovered by clustering; centre: ${facts.join(', ')}.`,
    };
  });
}

export type DistributionIndex = Map<string, Map<string, { value: string | null; customers: number }[]>>;

export function indexDistributions(rows: readonly Row[]): DistributionIndex {
  const index: DistributionIndex = new Map();
  for (const row of rows) {
    const key = segmentKey(String(row.kind), String(row.segment_id));
    const byDimension = index.get(key) ?? new Map();
    const list = byDimension.get(String(row.dimension)) ?? [];
    list.push({ value: row.value === null ? null : String(row.value), customers: Number(row.customers) });
    byDimension.set(String(row.dimension), list);
    index.set(key, byDimension);
  }
  return index;
}

/** Known values, most customers first, ties alphabetical: deterministic for equal counts. */
export function topValues(
  index: DistributionIndex,
  key: string,
  dimension: string,
  size: number,
  limit = 5,
): ValueCount[] {
  const values = (index.get(key)?.get(dimension) ?? []).filter((v) => v.value !== null);
  values.sort((a, b) => b.customers - a.customers || compareText(String(a.value), String(b.value)));
  return values.slice(0, limit).map((v) => ({ value: v.value, customers: v.customers, share: share(v.customers, size) }));
}

export const share = (part: number, whole: number) => (whole > 0 ? round(part / whole, 6) : 0);
export const round = (value: number, digits = 4) => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};
const ratioOrNull = (a: number, b: number, digits = 4) => (b > 0 ? round(a / b, digits) : null);
const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));

export function summarizeSegments(input: {
  config: SegmentsConfig;
  summaryRows: readonly Row[];
  medianRows: readonly Row[];
  distributions: DistributionIndex;
  discovered?: readonly SegmentRef[];
}): SegmentSummary[] {
  const byKey = new Map(input.summaryRows.map((r) => [segmentKey(String(r.kind), String(r.segment_id)), r]));
  const medians = new Map(input.medianRows.map((r) => [segmentKey(String(r.kind), String(r.segment_id)), num(r.median_recency_days)]));
  const all = byKey.get(segmentKey('all', 'all_customers'));
  const totalCustomers = num(all?.customers);
  const totalRevenue = num(all?.revenue);

  return definedSegments(input.config, input.discovered).map((ref) => {
    const key = segmentKey(ref.kind, ref.id);
    const r = byKey.get(key) ?? {};
    const size = num(r.customers);
    const frequencySum = num(r.purchase_orders);
    return {
      id: ref.id,
      name: ref.name,
      kind: ref.kind,
      ...(ref.description ? { description: ref.description } : {}),
      size,
      share: share(size, totalCustomers),
      revenue: round(num(r.revenue), 2),
      revenue_share: totalRevenue !== 0 ? round(num(r.revenue) / totalRevenue, 6) : 0,
      purchase_orders: frequencySum,
      avg_order_value: ratioOrNull(num(r.purchase_revenue), frequencySum, 2),
      avg_frequency: size > 0 ? round(num(r.avg_frequency), 3) : null,
      median_recency_days: medians.get(key) ?? null,
      buyers_share: share(num(r.buyers), size),
      browsers_share: share(num(r.browsers), size),
      conversion_rate: ratioOrNull(num(r.purchase_events), num(r.product_views)),
      cart_abandonment_rate:
        num(r.add_to_cart) > 0 ? round(Math.max(0, 1 - num(r.purchase_events) / num(r.add_to_cart))) : null,
      return_rate: ratioOrNull(num(r.returned_amount), num(r.purchase_revenue)),
      email_opt_in_share: share(num(r.email_opt_in), size),
      mobile_share: r.avg_mobile_share === null || r.avg_mobile_share === undefined ? null : round(num(r.avg_mobile_share)),
      top_categories: topValues(input.distributions, key, 'top_category', size),
      top_channels: topValues(input.distributions, key, 'top_order_channel', size),
      top_devices: topValues(input.distributions, key, 'top_device', size),
    };
  });
}
