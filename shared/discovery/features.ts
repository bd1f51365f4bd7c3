/**
 * The features persona discovery clusters on: numeric expressions over customer_features (behavioural, demographic
 * and technographic), each cast to double. The expressions are code — column names from the feature catalogue,
 * constants as plain numbers — so no input ever reaches them.
 *
 * Choices, all made on what the features mean, not on any ground truth:
 * - money and counts are heavy-tailed, so they enter as ln(1 + x): one very large spender must not become a
 *   cluster of its own, and "2 vs 20 orders" matters more than "200 vs 218";
 * - recency is capped at RECENCY_CAP_DAYS and non-buyers get the cap (they are as far from a purchase as it gets);
 * - recency and buying span are linear in days: "last bought 80 vs 220 days ago" is the difference between a
 *   regular and a lapsed customer, which a logarithm would squeeze;
 * - rates and shares (0–1) enter as they are, return_rate capped at 1;
 * - a feature that is missing (no orders → no order value; no events → no mobile share; no birth year → no age)
 *   is imputed with the population mean, which is 0 after standardisation: it does not pull the customer anywhere.
 * (least/greatest only ever see non-NULL arguments: DuckDB ignores a NULL argument, Trino returns NULL.)
 * Every feature is then standardised with the mean and population standard deviation over all customers.
 *
 * Left out on purpose (they are in every persona's figures, but cluster badly): age, mobile share, conversion and
 * cart abandonment vary as much inside a behaviour group as between groups, so with them k-means splits e.g.
 * regular customers by age or device instead of separating behaviours (measured on the generated lakes: the
 * adjusted Rand index against the planted archetypes fell from 0.78 to 0.56–0.76 with them; see README).
 */
export interface DiscoveryFeature {
  /** Column name in the sample result and key in segments.json. */
  readonly id: string;
  /** Words for names and descriptions: "high <label>" / "low <label>". */
  readonly label: string;
  readonly description: string;
  /** Double-valued SQL over customer_features' columns; NULL when unknown. */
  readonly sql: string;
  /** From the expression's units back to the feature's own units (e.g. expm1 for ln(1 + x)). */
  readonly toOriginal?: (value: number) => number;
}

export const RECENCY_CAP_DAYS = 365;
export const TENURE_CAP_DAYS = 3650;

const log1p = (expr: string) => `ln(1 + CAST(${expr} AS double))`;
const asDouble = (expr: string) => `CAST(${expr} AS double)`;
const expm1 = (v: number) => Math.expm1(v);

export const DISCOVERY_FEATURES: readonly DiscoveryFeature[] = [
  {
    id: 'monetary',
    label: 'spend',
    description: 'net spend, ln(1 + max(monetary, 0)); centres in currency units',
    sql: log1p('greatest(monetary, 0)'),
    toOriginal: expm1,
  },
  {
    id: 'frequency',
    label: 'order frequency',
    description: 'purchase orders, ln(1 + frequency); centres in orders',
    sql: log1p('frequency'),
    toOriginal: expm1,
  },
  {
    id: 'avg_order_value',
    label: 'order value',
    description: 'average purchase order value, ln(1 + value); centres in currency units; unknown without orders',
    sql: log1p('avg_order_value'),
    toOriginal: expm1,
  },
  {
    id: 'recency_days',
    label: 'days since last purchase',
    description: `days since the last purchase order, capped at ${RECENCY_CAP_DAYS}; non-buyers get the cap`,
    sql: asDouble(`least(coalesce(recency_days, ${RECENCY_CAP_DAYS}), ${RECENCY_CAP_DAYS})`),
  },
  {
    id: 'purchase_span_days',
    label: 'buying span',
    description: 'days between the first and the last purchase order (0 with one order or none)',
    sql: asDouble('coalesce(days_since_first_purchase - recency_days, 0)'),
  },
  {
    id: 'return_rate',
    label: 'returns',
    description: 'returned amount / purchase revenue, capped at 1; unknown without orders',
    sql: asDouble('CASE WHEN return_rate > 1 THEN 1 ELSE return_rate END'),
  },
  {
    id: 'occasion_share',
    label: 'holiday-season buying',
    description: 'share of purchase orders in the Christmas and Halloween windows; unknown without orders',
    sql: asDouble('occasion_share'),
  },
  {
    id: 'events_count',
    label: 'online activity',
    description: 'web, app and messaging events, ln(1 + events); centres in events',
    sql: log1p('events_count'),
    toOriginal: expm1,
  },
  {
    id: 'email_share',
    label: 'email engagement',
    description: 'share of events that are email opens or clicks; unknown without events',
    sql: 'CASE WHEN events_count > 0 THEN CAST(email_opens + email_clicks AS double) / events_count END',
  },
  {
    id: 'app_share',
    label: 'app use',
    description: 'share of events in the app; unknown without events',
    sql: asDouble('app_share'),
  },
  {
    id: 'tenure_days',
    label: 'tenure',
    description: `days since signup (or first order), capped at ${TENURE_CAP_DAYS}, ln(1 + days); centres in days`,
    sql: log1p(`CASE WHEN tenure_days > ${TENURE_CAP_DAYS} THEN ${TENURE_CAP_DAYS} WHEN tenure_days < 0 THEN 0 ELSE tenure_days END`),
    toOriginal: expm1,
  },
];

/** Mean and population standard deviation of one feature over all customers (NULLs ignored). */
export interface FeatureStats {
  mean: number;
  stddev: number;
}

/** z = (x − mean) / sd; a missing value (and a constant feature) gives 0. Mirrors the SQL in sql/discovery.ts. */
export function standardise(values: readonly (number | null)[], stats: readonly FeatureStats[]): number[] {
  return values.map((v, j) => {
    const s = stats[j]!;
    return v === null || !(s.stddev > 0) ? 0 : (v - s.mean) / s.stddev;
  });
}

/** A standardised centre back in the expression's units, then in the feature's own units. */
export function centreInOriginalUnits(centre: readonly number[], stats: readonly FeatureStats[], features = DISCOVERY_FEATURES): Record<string, number> {
  return Object.fromEntries(
    features.map((f, j) => {
      const value = stats[j]!.mean + centre[j]! * stats[j]!.stddev;
      return [f.id, f.toOriginal ? f.toOriginal(value) : value];
    }),
  );
}
