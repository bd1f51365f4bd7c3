import { addDays } from '../time.ts';
import { BROWSER_FAMILIES, DEVICE_TYPES, OS_FAMILIES } from '../contracts/lake.ts';
import { sqlDate, sqlInteger, sqlString } from './literals.ts';
import type { Relations } from './relations.ts';
import { stateRelation, type StateGrain } from './state.ts';

/**
 * customer_features: one row per known customer with every feature of the catalogue
 * (shared/contracts/features.ts) except the scores and segment names, which need the whole population.
 *
 * Dates are compared as DATE values only: `date_diff('day', …)` agrees between Trino and DuckDB on dates but not on
 * timestamps (Trino counts whole 24-hour periods, DuckDB counts midnights crossed).
 * Every division casts to double first: Trino divides integers as integers, DuckDB does not.
 * Amounts are summed as DECIMAL(18, 4): a double sum depends on the order rows arrive in (parallel scans), so equal
 * totals could differ in the last bit, break ties in the RFM ranking and make reruns differ.
 */

/**
 * Each customer's values (`customer_id`, `value`, `weight`) ranked by weight, ties to the alphabetically first
 * value: rank 1 is the customer's top value. A window, not min_by(value, ROW(-weight, value)): the aggregate is
 * faster, but at 3 M customers its hash table ran out of a buffer that the window's sort spills within (README,
 * Performance: tried and dropped).
 */
const rankedValues = (weighted: string) => `SELECT customer_id, value,
      row_number() OVER (PARTITION BY customer_id ORDER BY weight DESC, value ASC) AS rn
    FROM (
      ${weighted}
    ) AS w`;

/** The value with the highest total weight per customer (rankedValues' rank 1). */
function topValue(name: string, source: string, valueExpr: string, weightExpr: string): string {
  return `${name} AS (
  SELECT customer_id, value AS ${name} FROM (
    ${rankedValues(`SELECT customer_id, ${valueExpr} AS value, ${weightExpr} AS weight
      FROM ${source} WHERE ${valueExpr} IS NOT NULL GROUP BY customer_id, ${valueExpr}`)}
  ) AS ranked WHERE rn = 1
)`;
}

/**
 * The value with the highest count among fixed candidates, from one count column each; ties go to the
 * alphabetically first value, NULL when every count is zero.
 */
function topCount(values: readonly string[], count: (value: string) => string): string {
  const sorted = [...values].sort();
  const greatest = `greatest(${sorted.map(count).join(', ')})`;
  return `CASE ${sorted.map((v) => `WHEN ${count(v)} > 0 AND ${count(v)} = ${greatest} THEN ${sqlString(v)}`).join(' ')} END`;
}

/** The top family from the staged `<prefix>_<family>` counts; `other` is what `<prefix>_events` leaves over. */
const topFamily = (prefix: string, families: readonly string[]) =>
  topCount([...families, 'other'], (family) =>
    family === 'other' ? `${prefix}_events - (${families.map((f) => `${prefix}_${f}`).join(' + ')})` : `${prefix}_${family}`,
  );

const ratio = (numerator: string, denominator: string) =>
  `CASE WHEN ${denominator} > 0 THEN CAST(${numerator} AS double) / ${denominator} END`;

/**
 * customer_preferences: what each customer buys most and where — top category by spend, the category list, the
 * usual order channel and country. A statement of its own: its per-customer rankings are the memory-hungry part of
 * the features, and at millions of customers the two together do not fit the engine's buffer.
 */
export function customerPreferencesSql(rel: Relations): string {
  const state = (grain: StateGrain, notNull: string[]) =>
    `(SELECT * FROM ${rel[stateRelation(grain)]} WHERE ${notNull.map((c) => `${c} IS NOT NULL`).join(' AND ')})`;
  return `WITH
category_ranks AS (
  ${rankedValues(`SELECT customer_id, category AS value, amount AS weight FROM ${state('categories', ['category'])} AS c`)}
),
-- The top category by spend and the category list in one pass over the ranked rows (the state has one row per
-- customer and category). Sorting the finished small list, not the aggregate's input: an ordered array_agg cost
-- half the features step.
top_category AS (
  SELECT customer_id, max(CASE WHEN rn = 1 THEN value END) AS top_category, array_sort(array_agg(value)) AS categories
  FROM category_ranks
  GROUP BY customer_id
),
${topValue('top_order_channel', state('places', ['channel']), 'channel', 'sum(rows_count)')},
${topValue('order_country', state('places', ['country']), 'country', 'sum(rows_count)')}
-- Every accepted order row is in both the category and the place grain, so the places state names every customer.
SELECT ids.customer_id, tc.top_category, tc.categories, toc.top_order_channel, oc.order_country
FROM (SELECT DISTINCT customer_id FROM ${rel.state_places}) AS ids
LEFT JOIN top_category AS tc ON tc.customer_id = ids.customer_id
LEFT JOIN top_order_channel AS toc ON toc.customer_id = ids.customer_id
LEFT JOIN order_country AS oc ON oc.customer_id = ids.customer_id`;
}

/**
 * Each state grain has one row per customer, so full outer joins of profiles, orders and events give every known
 * customer once; a UNION of the three id lists and a left join of each cost twice as much (4.7 s against 2.6 s at
 * 1 M customers).
 */
export function customerFeaturesSql(rel: Relations, asOf: string): string {
  const asOfDate = sqlDate(asOf);
  const since = (days: number) => sqlDate(addDays(asOf, -days));
  const purchasesSince = (days: number) => `cardinality(filter(purchase_days, d -> d >= ${since(days)}))`;
  const state = (grain: StateGrain, notNull: string[] = []) =>
    `(SELECT * FROM ${rel[stateRelation(grain)]}${notNull.length > 0 ? ` WHERE ${notNull.map((c) => `${c} IS NOT NULL`).join(' AND ')}` : ''})`;
  const deviceCounts = DEVICE_TYPES.map((d) => `device_${d}`);
  const topDevice = topCount(DEVICE_TYPES, (d) => `device_${d}`);
  return `WITH
order_features AS (
  SELECT customer_id,
    orders_count,
    frequency,
    monetary,
    purchase_revenue,
    returned_amount,
    first_purchase_date,
    last_purchase_date,
    first_order_date,
    ${purchasesSince(30)} AS purchases_last_30d,
    ${purchasesSince(90)} AS purchases_last_90d,
    ${purchasesSince(365)} AS purchases_last_365d,
    christmas_orders,
    halloween_orders
  FROM ${state('orders')} AS o
),
event_features AS (
  SELECT customer_id,
    rows_count AS events_count,
    first_event_date,
    last_event_date,
    page_view AS page_views,
    product_view AS product_views,
    add_to_cart,
    checkout_start AS checkout_starts,
    purchase AS purchase_events,
    email_open AS email_opens,
    email_click AS email_clicks,
    push_open AS push_opens,
    sms_click AS sms_clicks,
    social_click AS social_clicks,
    app_open AS app_opens,
    CAST(device_mobile + device_tablet AS double) / rows_count AS mobile_share,
    CAST(channel_app AS double) / rows_count AS app_share,
    ${deviceCounts.map((c) => `CASE WHEN ${c} > 0 THEN 1 ELSE 0 END`).join(' + ')} AS device_types,
    ${topDevice} AS top_device,
    ${topFamily('os', OS_FAMILIES)} AS top_os,
    ${topFamily('browser', BROWSER_FAMILIES)} AS top_browser
  FROM ${state('events')} AS e
),
customers_latest AS (
  SELECT * FROM ${state('profiles')} AS p
)
SELECT
  coalesce(c.customer_id, o.customer_id, e.customer_id) AS customer_id,
  date_diff('day', o.last_purchase_date, ${asOfDate}) AS recency_days,
  coalesce(o.frequency, 0) AS frequency,
  coalesce(o.monetary, 0) AS monetary,
  coalesce(o.orders_count, 0) AS orders_count,
  coalesce(o.purchase_revenue, 0) AS purchase_revenue,
  ${ratio('o.purchase_revenue', 'o.frequency')} AS avg_order_value,
  o.first_purchase_date,
  o.last_purchase_date,
  date_diff('day', o.first_purchase_date, ${asOfDate}) AS days_since_first_purchase,
  coalesce(o.returned_amount, 0) AS returned_amount,
  ${ratio('o.returned_amount', 'o.purchase_revenue')} AS return_rate,
  coalesce(o.purchases_last_30d, 0) AS purchases_last_30d,
  coalesce(o.purchases_last_90d, 0) AS purchases_last_90d,
  coalesce(o.purchases_last_365d, 0) AS purchases_last_365d,
  coalesce(o.christmas_orders, 0) AS christmas_orders,
  coalesce(o.halloween_orders, 0) AS halloween_orders,
  ${ratio('o.christmas_orders + o.halloween_orders', 'o.frequency')} AS occasion_share,
  pr.top_category,
  pr.categories,
  pr.top_order_channel,
  coalesce(e.events_count, 0) AS events_count,
  e.last_event_date,
  coalesce(e.page_views, 0) AS page_views,
  coalesce(e.product_views, 0) AS product_views,
  coalesce(e.add_to_cart, 0) AS add_to_cart,
  coalesce(e.checkout_starts, 0) AS checkout_starts,
  coalesce(e.purchase_events, 0) AS purchase_events,
  coalesce(e.email_opens, 0) AS email_opens,
  coalesce(e.email_clicks, 0) AS email_clicks,
  coalesce(e.push_opens, 0) AS push_opens,
  coalesce(e.sms_clicks, 0) AS sms_clicks,
  coalesce(e.social_clicks, 0) AS social_clicks,
  coalesce(e.app_opens, 0) AS app_opens,
  ${ratio('e.purchase_events', 'e.product_views')} AS conversion_rate,
  CASE WHEN e.add_to_cart > 0 THEN greatest(0, 1 - CAST(e.purchase_events AS double) / e.add_to_cart) END AS cart_abandonment_rate,
  e.mobile_share,
  e.app_share,
  e.top_device,
  e.top_os,
  e.top_browser,
  coalesce(e.device_types, 0) AS device_types,
  ${sqlInteger(Number(asOf.slice(0, 4)))} - c.birth_year AS age,
  CASE
    WHEN c.birth_year IS NULL THEN NULL
    WHEN ${sqlInteger(Number(asOf.slice(0, 4)))} - c.birth_year < 18 THEN 'under_18'
    WHEN ${sqlInteger(Number(asOf.slice(0, 4)))} - c.birth_year < 25 THEN '18_24'
    WHEN ${sqlInteger(Number(asOf.slice(0, 4)))} - c.birth_year < 35 THEN '25_34'
    WHEN ${sqlInteger(Number(asOf.slice(0, 4)))} - c.birth_year < 45 THEN '35_44'
    WHEN ${sqlInteger(Number(asOf.slice(0, 4)))} - c.birth_year < 55 THEN '45_54'
    WHEN ${sqlInteger(Number(asOf.slice(0, 4)))} - c.birth_year < 65 THEN '55_64'
    ELSE '65_plus'
  END AS age_band,
  c.gender,
  c.income_band,
  c.education,
  c.marital_status,
  c.occupation,
  c.signup_date,
  date_diff('day', coalesce(c.signup_date, o.first_order_date, e.first_event_date), ${asOfDate}) AS tenure_days,
  coalesce(c.country, pr.order_country) AS country,
  c.region,
  c.city,
  c.interests,
  c.lifestyle,
  c.email_opt_in,
  c.sms_opt_in,
  c.push_opt_in,
  c.customer_id IS NOT NULL AS has_profile
FROM customers_latest AS c
FULL OUTER JOIN order_features AS o ON o.customer_id = c.customer_id
FULL OUTER JOIN event_features AS e ON e.customer_id = coalesce(c.customer_id, o.customer_id)
LEFT JOIN ${rel.customer_preferences} AS pr ON pr.customer_id = coalesce(c.customer_id, o.customer_id, e.customer_id)`;
}
