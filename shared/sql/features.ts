import { addDays } from '../time.ts';
import type { SegmentsConfig } from '../contracts/config.ts';
import { sqlDate, sqlDecimal, sqlInteger, sqlString, sqlTimestamp } from './literals.ts';
import type { Relations } from './relations.ts';

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

/** Rows after the as-of date belong to a later run; a rerun for the same date must not see them. */
export function asOfEnd(asOf: string): string {
  return sqlTimestamp(new Date(`${addDays(asOf, 1)}T00:00:00Z`));
}

/** The most frequent (or highest-weighted) value per customer; ties go to the alphabetically first value. */
function topValue(name: string, source: string, valueExpr: string, weightExpr = 'count(*)'): string {
  return `${name} AS (
  SELECT customer_id, value AS ${name} FROM (
    SELECT customer_id, value,
      row_number() OVER (PARTITION BY customer_id ORDER BY weight DESC, value ASC) AS rn
    FROM (
      SELECT customer_id, ${valueExpr} AS value, ${weightExpr} AS weight
      FROM ${source} WHERE ${valueExpr} IS NOT NULL GROUP BY customer_id, ${valueExpr}
    ) AS w
  ) AS ranked WHERE rn = 1
)`;
}

const ratio = (numerator: string, denominator: string) =>
  `CASE WHEN ${denominator} > 0 THEN CAST(${numerator} AS double) / ${denominator} END`;

/**
 * Amount in the reporting currency, exactly: DECIMAL(18,4) × DECIMAL(12,6). Without a currency config amounts are
 * summed as they are (and the quality report warns when they come in several currencies).
 */
export function reportingAmountSql(amount: string, currency: string, config: SegmentsConfig['currency']): string {
  const exact = `CAST(${amount} AS decimal(18, 4))`;
  const rates = Object.entries(config?.rates ?? {}).filter(([code]) => code !== config?.reporting);
  if (!config || rates.length === 0) return exact;
  const branches = rates.map(([code, rate]) => `WHEN ${sqlString(code)} THEN ${sqlDecimal(rate, 12, 6)}`).join(' ');
  return `${exact} * CASE ${currency} ${branches} ELSE ${sqlDecimal(1, 12, 6)} END`;
}

export function customerFeaturesSql(rel: Relations, asOf: string, currency?: SegmentsConfig['currency']): string {
  const end = asOfEnd(asOf);
  const asOfDate = sqlDate(asOf);
  const since = (days: number) => sqlDate(addDays(asOf, -days));
  const eventCount = (type: string, alias: string) => `count_if(event_type = '${type}') AS ${alias}`;
  const purchaseDate = 'CAST(order_ts AS date)';
  // Accepted rows up to the as-of date, written as inline subqueries rather than CTEs: a CTE used several times
  // is materialised by DuckDB, i.e. a second in-memory copy of every staged row.
  const ordersOk = `(SELECT customer_id, order_id, order_ts, ${reportingAmountSql('amount', 'currency', currency)} AS amount, category, channel, country
    FROM ${rel.stg_orders} WHERE reject_reason IS NULL AND order_ts < ${end}) AS orders_ok`;
  const eventsOk = `(SELECT customer_id, event_ts, event_type, channel, device_type, os, browser
    FROM ${rel.stg_events} WHERE reject_reason IS NULL AND event_ts < ${end}) AS events_ok`;
  return `WITH
order_totals AS (
  SELECT customer_id, order_id, min(order_ts) AS order_ts, sum(amount) AS order_amount,
    sum(CASE WHEN amount > 0 THEN amount ELSE 0 END) AS gross_amount,
    sum(CASE WHEN amount < 0 THEN -amount ELSE 0 END) AS returned_amount,
    min(channel) AS channel
  FROM ${ordersOk}
  GROUP BY customer_id, order_id
),
order_features AS (
  SELECT customer_id,
    count(*) AS orders_count,
    count_if(order_amount > 0) AS frequency,
    sum(order_amount) AS monetary,
    sum(CASE WHEN order_amount > 0 THEN order_amount ELSE 0 END) AS purchase_revenue,
    sum(gross_amount) AS gross_amount,
    sum(returned_amount) AS returned_amount,
    min(CASE WHEN order_amount > 0 THEN ${purchaseDate} END) AS first_purchase_date,
    max(CASE WHEN order_amount > 0 THEN ${purchaseDate} END) AS last_purchase_date,
    min(${purchaseDate}) AS first_order_date,
    count_if(order_amount > 0 AND ${purchaseDate} >= ${since(30)}) AS purchases_last_30d,
    count_if(order_amount > 0 AND ${purchaseDate} >= ${since(90)}) AS purchases_last_90d,
    count_if(order_amount > 0 AND ${purchaseDate} >= ${since(365)}) AS purchases_last_365d,
    count_if(order_amount > 0 AND ((month(order_ts) = 11 AND day(order_ts) >= 20) OR (month(order_ts) = 12 AND day(order_ts) <= 24))) AS christmas_orders,
    count_if(order_amount > 0 AND month(order_ts) = 10 AND day(order_ts) >= 15) AS halloween_orders
  FROM order_totals
  GROUP BY customer_id
),
${topValue('top_category', ordersOk, 'category', 'sum(amount)')},
category_lists AS (
  SELECT customer_id, array_agg(category ORDER BY category) AS categories
  FROM (SELECT DISTINCT customer_id, category FROM ${ordersOk} WHERE category IS NOT NULL) AS c
  GROUP BY customer_id
),
${topValue('top_order_channel', 'order_totals', 'channel')},
${topValue('order_country', ordersOk, 'country')},
event_dims AS (
  SELECT customer_id, device_type, os, browser, count(*) AS events
  FROM ${eventsOk}
  GROUP BY customer_id, device_type, os, browser
),
event_features AS (
  SELECT customer_id,
    count(*) AS events_count,
    count(DISTINCT CAST(event_ts AS date)) AS active_days,
    min(CAST(event_ts AS date)) AS first_event_date,
    max(CAST(event_ts AS date)) AS last_event_date,
    ${eventCount('page_view', 'page_views')},
    ${eventCount('product_view', 'product_views')},
    ${eventCount('add_to_cart', 'add_to_cart')},
    ${eventCount('checkout_start', 'checkout_starts')},
    ${eventCount('purchase', 'purchase_events')},
    ${eventCount('email_open', 'email_opens')},
    ${eventCount('email_click', 'email_clicks')},
    ${eventCount('push_open', 'push_opens')},
    ${eventCount('sms_click', 'sms_clicks')},
    ${eventCount('social_click', 'social_clicks')},
    ${eventCount('app_open', 'app_opens')},
    CAST(count_if(device_type IN ('mobile', 'tablet')) AS double) / count(*) AS mobile_share,
    CAST(count_if(channel = 'app') AS double) / count(*) AS app_share,
    count(DISTINCT device_type) AS device_types
  FROM ${eventsOk}
  GROUP BY customer_id
),
${topValue('top_device', 'event_dims', 'device_type', 'sum(events)')},
${topValue('top_os', 'event_dims', 'os', 'sum(events)')},
${topValue('top_browser', 'event_dims', 'browser', 'sum(events)')},
customers_latest AS (
  SELECT * FROM (
    SELECT s.*, row_number() OVER (
      PARTITION BY customer_id
      ORDER BY updated_at DESC NULLS LAST, source_file DESC,
        concat(coalesce(country, ''), '|', coalesce(region, ''), '|', coalesce(city, ''), '|', coalesce(CAST(birth_year AS varchar), ''), '|', coalesce(gender, ''), '|', coalesce(interests_text, '')) ASC
    ) AS rn
    FROM ${rel.stg_customers} AS s
    WHERE reject_reason IS NULL
  ) AS c WHERE rn = 1
),
universe AS (
  SELECT customer_id FROM customers_latest
  UNION SELECT customer_id FROM order_features
  UNION SELECT customer_id FROM event_features
)
SELECT
  u.customer_id,
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
  coalesce(o.gross_amount, 0) AS gross_amount,
  ${ratio('o.returned_amount', 'o.gross_amount')} AS return_rate,
  coalesce(o.purchases_last_30d, 0) AS purchases_last_30d,
  coalesce(o.purchases_last_90d, 0) AS purchases_last_90d,
  coalesce(o.purchases_last_365d, 0) AS purchases_last_365d,
  coalesce(o.christmas_orders, 0) AS christmas_orders,
  coalesce(o.halloween_orders, 0) AS halloween_orders,
  ${ratio('o.christmas_orders + o.halloween_orders', 'o.frequency')} AS occasion_share,
  tc.top_category,
  cl.categories,
  toc.top_order_channel,
  coalesce(e.events_count, 0) AS events_count,
  coalesce(e.active_days, 0) AS active_days,
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
  td.top_device,
  tos.top_os,
  tb.top_browser,
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
  coalesce(c.country, oc.order_country) AS country,
  c.region,
  c.city,
  c.interests,
  c.lifestyle,
  c.email_opt_in,
  c.sms_opt_in,
  c.push_opt_in,
  c.customer_id IS NOT NULL AS has_profile
FROM universe AS u
LEFT JOIN order_features AS o ON o.customer_id = u.customer_id
LEFT JOIN top_category AS tc ON tc.customer_id = u.customer_id
LEFT JOIN category_lists AS cl ON cl.customer_id = u.customer_id
LEFT JOIN top_order_channel AS toc ON toc.customer_id = u.customer_id
LEFT JOIN order_country AS oc ON oc.customer_id = u.customer_id
LEFT JOIN event_features AS e ON e.customer_id = u.customer_id
LEFT JOIN top_device AS td ON td.customer_id = u.customer_id
LEFT JOIN top_os AS tos ON tos.customer_id = u.customer_id
LEFT JOIN top_browser AS tb ON tb.customer_id = u.customer_id
LEFT JOIN customers_latest AS c ON c.customer_id = u.customer_id`;
}
