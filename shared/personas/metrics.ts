import type { SegmentSummary } from '../contracts/outputs.ts';
import type { Row } from '../engines/query-engine.ts';
import { round } from '../segments/summarize.ts';

/**
 * The per-segment figures a persona rests on, from one row of segmentSummarySql and the segment's summary:
 * sums turned into per-customer rates and shares. Pure; the same function gives the all-customers baseline.
 */
export interface SegmentMetrics {
  size: number;
  share: number;
  revenue_share: number;
  buyers_share: number;
  browsers_share: number;
  events_share: number;
  profile_share: number;
  avg_frequency: number | null;
  avg_monetary: number | null;
  avg_recency_days: number | null;
  median_recency_days: number | null;
  avg_order_value: number | null;
  conversion_rate: number | null;
  cart_abandonment_rate: number | null;
  return_rate: number | null;
  christmas_share: number | null;
  halloween_share: number | null;
  occasion_share: number | null;
  app_share: number | null;
  mobile_share: number | null;
  email_opt_in: number;
  sms_opt_in: number;
  push_opt_in: number;
  email_opens: number;
  email_clicks: number;
  push_opens: number;
  sms_clicks: number;
  social_clicks: number;
  app_opens: number;
  avg_age: number | null;
  age_known_share: number;
  /** Per-customer standard deviations (population), for standardized differences. */
  sd: { frequency: number | null; recency_days: number | null; monetary: number | null; mobile_share: number | null; app_share: number | null; social_clicks: number | null };
}

const n = (row: Row, key: string) => {
  const v = row[key];
  return v === null || v === undefined ? 0 : Number(v);
};
const nullable = (row: Row, key: string, digits = 4) => {
  const v = row[key];
  return v === null || v === undefined || Number.isNaN(Number(v)) ? null : round(Number(v), digits);
};
const ratio = (a: number, b: number, digits = 4) => (b > 0 ? round(a / b, digits) : null);

export function segmentMetrics(summary: SegmentSummary, row: Row): SegmentMetrics {
  const size = summary.size;
  const perCustomer = (key: string) => (size > 0 ? round(n(row, key) / size, 4) : 0);
  const orders = n(row, 'purchase_orders');
  const christmas = ratio(n(row, 'christmas_orders'), orders);
  const halloween = ratio(n(row, 'halloween_orders'), orders);
  return {
    size,
    share: summary.share,
    revenue_share: summary.revenue_share,
    buyers_share: summary.buyers_share,
    browsers_share: summary.browsers_share,
    events_share: ratio(n(row, 'with_events'), size) ?? 0,
    profile_share: ratio(n(row, 'with_profile'), size) ?? 0,
    avg_frequency: summary.avg_frequency,
    avg_monetary: nullable(row, 'avg_monetary', 2),
    avg_recency_days: nullable(row, 'avg_recency_days', 1),
    median_recency_days: summary.median_recency_days,
    avg_order_value: summary.avg_order_value,
    conversion_rate: summary.conversion_rate,
    cart_abandonment_rate: summary.cart_abandonment_rate,
    return_rate: summary.return_rate,
    christmas_share: christmas,
    halloween_share: halloween,
    occasion_share: christmas === null || halloween === null ? null : round(christmas + halloween, 4),
    app_share: nullable(row, 'avg_app_share'),
    mobile_share: nullable(row, 'avg_mobile_share'),
    email_opt_in: ratio(n(row, 'email_opt_in'), size) ?? 0,
    sms_opt_in: ratio(n(row, 'sms_opt_in'), size) ?? 0,
    push_opt_in: ratio(n(row, 'push_opt_in'), size) ?? 0,
    email_opens: perCustomer('email_opens'),
    email_clicks: perCustomer('email_clicks'),
    push_opens: perCustomer('push_opens'),
    sms_clicks: perCustomer('sms_clicks'),
    social_clicks: perCustomer('social_clicks'),
    app_opens: perCustomer('app_opens'),
    avg_age: nullable(row, 'avg_age', 1),
    age_known_share: ratio(n(row, 'with_age'), size) ?? 0,
    sd: {
      frequency: nullable(row, 'sd_frequency'),
      recency_days: nullable(row, 'sd_recency_days'),
      monetary: nullable(row, 'sd_monetary'),
      mobile_share: nullable(row, 'sd_mobile_share'),
      app_share: nullable(row, 'sd_app_share'),
      social_clicks: nullable(row, 'sd_social_clicks'),
    },
  };
}

/** Segment value / baseline value, or null when either is missing or the baseline is 0. */
export const liftOf = (value: number | null, baseline: number | null): number | null =>
  value === null || baseline === null || baseline === 0 ? null : round(value / baseline, 3);
