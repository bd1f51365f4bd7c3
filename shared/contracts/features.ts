import {
  BROWSER_FAMILIES,
  DEVICE_TYPES,
  EDUCATION_LEVELS,
  GENDERS,
  INCOME_BANDS,
  MARITAL_STATUSES,
  OS_FAMILIES,
} from './lake.ts';

/**
 * The catalogue of customer features rule segments may use. It is the only source of column identifiers that
 * user configuration can reach: a rule names a feature, the compiler looks it up here and emits the column name
 * written below, never the user's text.
 */
export type FeatureType = 'number' | 'integer' | 'string' | 'boolean' | 'date' | 'string_list';

export interface FeatureSpec {
  readonly type: FeatureType;
  readonly group: 'rfm' | 'lifecycle' | 'orders' | 'occasions' | 'events' | 'technographic' | 'demographic' | 'geographic' | 'psychographic' | 'consent';
  readonly description: string;
  readonly values?: readonly string[];
}

export const RFM_SEGMENT_IDS = [
  'champions',
  'loyal',
  'potential_loyalist',
  'new_customers',
  'promising',
  'need_attention',
  'about_to_sleep',
  'at_risk',
  'cant_lose_them',
  'hibernating',
  'lost',
  'no_purchase',
] as const;
export type RfmSegmentId = (typeof RFM_SEGMENT_IDS)[number];

export const LIFECYCLE_STAGES = ['prospect', 'new', 'active', 'lapsing', 'churned'] as const;
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number];

export const AGE_BANDS = ['under_18', '18_24', '25_34', '35_44', '45_54', '55_64', '65_plus'] as const;

const f = (type: FeatureType, group: FeatureSpec['group'], description: string, values?: readonly string[]): FeatureSpec =>
  values ? { type, group, description, values } : { type, group, description };

export const FEATURES = {
  recency_days: f('integer', 'rfm', 'days from the last purchase order to the as-of date; null without purchases'),
  frequency: f('integer', 'rfm', 'number of purchase orders (orders whose summed amount is > 0)'),
  monetary: f('number', 'rfm', 'net sum of all order amounts, returns subtracted'),
  r_score: f('integer', 'rfm', 'recency score 1–5 (5 = most recent); null without purchases'),
  f_score: f('integer', 'rfm', 'frequency score 1–5'),
  m_score: f('integer', 'rfm', 'monetary score 1–5'),
  rfm_segment: f('string', 'rfm', 'named RFM segment', RFM_SEGMENT_IDS),
  lifecycle_stage: f('string', 'lifecycle', 'lifecycle / journey stage', LIFECYCLE_STAGES),

  orders_count: f('integer', 'orders', 'distinct orders of any sign, returns included'),
  purchase_revenue: f('number', 'orders', 'sum of purchase orders (gross of separate return orders)'),
  avg_order_value: f('number', 'orders', 'purchase_revenue / frequency'),
  first_purchase_date: f('date', 'orders', 'date of the first purchase order'),
  last_purchase_date: f('date', 'orders', 'date of the last purchase order'),
  returned_amount: f('number', 'orders', 'sum of the orders with a negative total (returns, refunds), as a positive number'),
  return_rate: f('number', 'orders', 'returned_amount / purchase_revenue; above 1 when more was refunded than bought in the period'),
  purchases_last_30d: f('integer', 'orders', 'purchase orders at most 30 days before the as-of date (the as-of day and the 30 before it, as recency_days ≤ 30)'),
  purchases_last_90d: f('integer', 'orders', 'purchase orders at most 90 days before the as-of date (the as-of day and the 90 before it, as recency_days ≤ 90)'),
  purchases_last_365d: f('integer', 'orders', 'purchase orders at most 365 days before the as-of date (the as-of day and the 365 before it, as recency_days ≤ 365)'),
  top_category: f('string', 'orders', 'category with the highest spend (ties: alphabetical)'),
  categories: f('string_list', 'orders', 'categories the customer bought'),
  top_order_channel: f('string', 'orders', 'order channel with the most order lines (web, app, store, …)'),

  christmas_orders: f('integer', 'occasions', 'purchase orders between 20 Nov and 24 Dec'),
  halloween_orders: f('integer', 'occasions', 'purchase orders between 15 and 31 Oct'),
  occasion_share: f('number', 'occasions', 'share of purchase orders placed in an occasion window, 0–1'),

  events_count: f('integer', 'events', 'all events up to the as-of date'),
  last_event_date: f('date', 'events', 'date of the newest event'),
  page_views: f('integer', 'events', 'page_view events'),
  product_views: f('integer', 'events', 'product_view events'),
  add_to_cart: f('integer', 'events', 'add_to_cart events'),
  checkout_starts: f('integer', 'events', 'checkout_start events'),
  purchase_events: f('integer', 'events', 'purchase events'),
  email_opens: f('integer', 'events', 'email_open events'),
  email_clicks: f('integer', 'events', 'email_click events'),
  push_opens: f('integer', 'events', 'push_open events'),
  sms_clicks: f('integer', 'events', 'sms_click events'),
  social_clicks: f('integer', 'events', 'social_click events'),
  app_opens: f('integer', 'events', 'app_open events'),
  conversion_rate: f('number', 'events', 'purchase events / product views, 0–1; null without product views'),
  cart_abandonment_rate: f('number', 'events', '1 − purchase events / add-to-cart events, 0–1; null without carts'),

  mobile_share: f('number', 'technographic', 'share of events on mobile or tablet devices, 0–1'),
  app_share: f('number', 'technographic', 'share of events in the app channel, 0–1'),
  top_device: f('string', 'technographic', 'device type with the most events', DEVICE_TYPES),
  top_os: f('string', 'technographic', 'operating system family with the most events (other for unrecognised values)', [...OS_FAMILIES, 'other']),
  top_browser: f('string', 'technographic', 'browser family with the most events (other for unrecognised values)', [...BROWSER_FAMILIES, 'other']),
  device_types: f('integer', 'technographic', 'distinct device types used'),

  age: f('integer', 'demographic', 'age in whole years at the as-of date (from birth_year)'),
  age_band: f('string', 'demographic', 'age band', AGE_BANDS),
  gender: f('string', 'demographic', 'gender', GENDERS),
  income_band: f('string', 'demographic', 'income band', INCOME_BANDS),
  education: f('string', 'demographic', 'highest education', EDUCATION_LEVELS),
  marital_status: f('string', 'demographic', 'marital status', MARITAL_STATUSES),
  occupation: f('string', 'demographic', 'occupation (lower case)'),
  signup_date: f('date', 'demographic', 'date the customer signed up'),
  tenure_days: f('integer', 'demographic', 'days since signup (or first order) to the as-of date'),

  country: f('string', 'geographic', 'country from the customer record, else the most frequent order country'),
  region: f('string', 'geographic', 'region'),
  city: f('string', 'geographic', 'city'),

  interests: f('string_list', 'psychographic', 'interest tags (lower case)'),
  lifestyle: f('string_list', 'psychographic', 'lifestyle tags (lower case)'),

  email_opt_in: f('boolean', 'consent', 'email marketing consent'),
  sms_opt_in: f('boolean', 'consent', 'SMS marketing consent'),
  push_opt_in: f('boolean', 'consent', 'push notification consent'),
} as const satisfies Record<string, FeatureSpec>;

export type FeatureName = keyof typeof FEATURES;

export function isFeatureName(name: string): name is FeatureName {
  return Object.hasOwn(FEATURES, name);
}
