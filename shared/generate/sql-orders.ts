import { ORDER_CHANNELS } from '../contracts/lake.ts';
import { ARCHETYPE_SPECS } from './archetypes.ts';
import { badReasonSql, badTimestampSql, isReason, missingIdSql } from './bad-rows.ts';
import { BASE_CATEGORIES, CATEGORIES, COUNTRIES, OCCASIONS } from './catalogues.ts';
import { customerIdSql, type GenContext } from './context.ts';
import { messyEnum, sometimesBlank } from './messiness.ts';
import { archNumber, archPick } from './per-archetype.ts';
import { caseOf, codeOf, Draws, intBetween, normal, pickIndex, strList, weightsFor, type Sql } from './random.ts';
import { daySql, isoSql, OCCASION_CODE, slotSql, timeOfDaySql, timestampSql, timingSql } from './sql-time.ts';
import type { OutColumn, RenderSpec } from './writer.ts';

/**
 * Orders in two steps:
 * - `ord`: one row per sale order (customer, day, time, channel, number of lines); events reuse it for purchases;
 * - `order_rows`: the lines as exported — sale lines, plus returns in both shapes real exports use: a negative
 *   line under the original order id (refund booked on the invoice) or a separate `r…` return order whose lines
 *   are all negative, a few days later.
 * Both are compact (integer codes); strings are rendered per partition at write time.
 */

/** Room for up to 100 orders per customer in `order_num = customer number * 100 + k`. */
const ORDERS_PER_CUSTOMER_LIMIT = 100;
/** Share of returning orders whose refund is booked on the original order id rather than a return order. */
const INLINE_REFUND_SHARE = 0.35;

export function ordersSql(ctx: GenContext): Sql {
  const { cal } = ctx;
  const d = new Draws(ctx.rnd, ['num', 'k'], 'uo_');
  const u = (salt: string) => d.u(salt);
  const days = cal.period.days;
  const maxOrders = Math.max(...ARCHETYPE_SPECS.map((a) => a.orders[1]));
  if (maxOrders >= ORDERS_PER_CUSTOMER_LIMIT) throw new Error(`order ids assume < ${ORDERS_PER_CUSTOMER_LIMIT} orders per customer`);

  // Archetypes like loyal_premium are defined by recency: their first-drawn order is pinned near asOf.
  const pinned = ARCHETYPE_SPECS.flatMap((a, i) =>
    a.lastOrderWithinDays ? [`WHEN arch = ${i} AND k = 0 THEN ${days - 1} - ${intBetween(u('pin'), 0, Math.min(a.lastOrderWithinDays, days) - 1)}`] : [],
  );
  const day = daySql(ctx, 'timing', 's.day', u('day'));
  const timing = timingSql((a) => a.orderTiming, u('timing'));
  const slot = slotSql(u('slot'));
  const rest = `
  ${cal.period.startEpoch}::BIGINT + day * 86400 + ${timeOfDaySql(u('tod_a'), u('tod_b'))} AS ts_s,
  ${archPick(u('channel'), (a) => weightsFor(ORDER_CHANNELS, a.channels))}::TINYINT AS channel,
  (1 + ${archPick(u('lines'), (a) => a.lines)})::TINYINT AS n_lines`;
  const dayExpr = pinned.length ? `CASE ${pinned.join(' ')} ELSE ${day} END` : day;

  return `CREATE OR REPLACE TABLE ord AS
WITH o AS (
  SELECT num, arch, country, platform, signup_day, unnest(range(n_orders))::INTEGER AS k FROM cust WHERE n_orders > 0
), r AS (SELECT *${d.withComma()} FROM o),
t AS (SELECT *, ${timing} AS timing, ${slot} AS slot FROM r),
dd AS (
  SELECT t.*, t.num::BIGINT * ${ORDERS_PER_CUSTOMER_LIMIT} + t.k AS order_num, (${dayExpr})::INTEGER AS day
  FROM t LEFT JOIN slots s ON s.dist = t.timing AND s.slot = t.slot
)
SELECT num, arch, country, platform, k, order_num, day, ${rest}
FROM dd`;
}

export function orderRowsSql(ctx: GenContext): Sql {
  const { cal } = ctx;
  const dl = new Draws(ctx.rnd, ['order_num', 'line'], 'ul_');
  const ul = (salt: string) => dl.u(salt);
  const uo = (salt: string) => ctx.rnd.u(salt, 'order_num');
  const endEpoch = cal.period.startEpoch + cal.period.days * 86400;
  const perEur = `([${COUNTRIES.map((c) => c.perEur).join(', ')}]::DOUBLE[])`;
  const decimals = `[${COUNTRIES.map((c) => c.decimals).join(', ')}]`;
  const cat = (name: string) => CATEGORIES.indexOf(name);
  const occasionCategory = (occ: keyof typeof OCCASIONS) =>
    caseOf(pickIndex(ul('occ_cat'), OCCASIONS[occ].categories.map(() => 1)), OCCASIONS[occ].categories.map((c) => String(cat(c))));
  const baseCategory = archPick(ul('category'), (a) => weightsFor(BASE_CATEGORIES, a.categories), BASE_CATEGORIES.map(cat));
  const affinity = archNumber((a) => a.occasionAffinity);
  const amountEur = `${archNumber((a) => a.amountEur.median)} * exp(${archNumber((a) => a.amountEur.sigma)} * ${normal(ul('amt_a'), ul('amt_b'))})`;
  const priced = `
    CAST(CASE
      WHEN occ = ${OCCASION_CODE.halloween} AND ${ul('occasion')} < ${affinity} THEN ${occasionCategory('halloween')}
      WHEN occ = ${OCCASION_CODE.christmas} AND ${ul('occasion')} < ${affinity} THEN ${occasionCategory('christmas')}
      ELSE ${baseCategory} END AS TINYINT) AS category,
    -- Generated in EUR so archetypes compare across countries, written in local currency like a real export.
    greatest(1.0, ${amountEur}) * ${perEur}[country + 1] AS amount_raw,
    ${ul('returned')} < ${archNumber((a) => a.returnRate)} AS returned`;
  // Per order, not per line: all returned lines of an order share one refund style and one return date.
  const returnStyle = `
    ${uo('refund_mode')} < ${INLINE_REFUND_SHARE} AS inline_refund,
    ts_s + ${intBetween(uo('return_days'), 2, 30)} * 86400 + ${intBetween(uo('return_secs'), 0, 36000)} AS return_ts`;

  return `CREATE OR REPLACE TABLE order_rows AS
WITH l AS (
  SELECT o.*, c.occ, unnest(range(n_lines))::TINYINT AS line FROM ord o JOIN cal c ON c.day = o.day
), r AS (SELECT *${dl.withComma()} FROM l),
p AS (SELECT *, ${priced} FROM r),
q AS (
  SELECT *, ${returnStyle},
    CASE WHEN ${decimals}[country + 1] = 0 THEN round(amount_raw) ELSE round(amount_raw, 2) END AS amount_abs
  FROM p
), k AS (
  -- kind 0: the sale line; 1: its refund on the same order id; 2: its line on a separate return order.
  -- A return after asOf has not happened yet, so it is not in the export.
  SELECT *, unnest(CASE
    WHEN NOT returned THEN [0]
    WHEN inline_refund THEN [0, 1]
    WHEN return_ts < ${endEpoch} THEN [0, 2]
    ELSE [0] END)::TINYINT AS kind
  FROM q
), rows AS (
  SELECT num, order_num, kind, line,
    CASE WHEN kind = 2 THEN return_ts ELSE ts_s END AS ts_s,
    CASE WHEN kind = 0 THEN amount_abs ELSE -amount_abs END AS amount,
    category, channel, country
  FROM k
)
SELECT *, CAST((ts_s - ${cal.period.startEpoch}) // 86400 AS INTEGER) AS day,
  ${badReasonSql(ctx, 'orders', ['order_num', 'kind', 'line'])} AS bad
FROM rows`;
}

/** Column order follows the contract (OrderRow). `order_rows` columns and the returned draws are in scope. */
export function orderColumns(ctx: GenContext): RenderSpec {
  const draws = new Draws(ctx.rnd, ['order_num', 'kind', 'line'], 'ur_');
  const ur = (salt: string) => draws.u(salt);
  // Order-level fields are messy per order, not per line: an export writes one order's header values once.
  const perOrder = new Draws(ctx.rnd, ['order_num'], 'uk_');
  const uk = (salt: string) => perOrder.u(salt);
  const currency = `${strList(COUNTRIES.map((c) => c.currency))}[country + 1]`;
  const orderIdDigits = ctx.idDigits + 2;
  const columns: OutColumn[] = [
    {
      name: 'order_id',
      sql: `CASE WHEN ${isReason('bad', 'missing_order_id')} THEN ${missingIdSql(ur('bad_value'))}
        ELSE (CASE kind WHEN 2 THEN 'r' ELSE 'o' END) || lpad(order_num::VARCHAR, ${orderIdDigits}, '0') END`,
    },
    {
      name: 'customer_id',
      sql: `CASE WHEN ${isReason('bad', 'missing_customer_id')} THEN ${missingIdSql(ur('bad_value'))} ELSE ${customerIdSql(ctx, 'num')} END`,
    },
    {
      name: 'order_ts',
      sql: `CASE WHEN ${isReason('bad', 'bad_timestamp')} THEN ${badTimestampSql(timestampSql('ts_s'), ur('bad_value'))} ELSE ${isoSql('ts_s')} END`,
    },
    {
      name: 'amount',
      // European-style '12,50 EUR' is the classic spreadsheet export defect; only text formats can carry it.
      sql: `CASE WHEN ${isReason('bad', 'non_numeric_amount')} THEN replace(printf('%.2f', amount), '.', ',') || ' ' || ${currency}
        ELSE printf('%.2f', amount) END`,
      parquet: 'amount',
    },
    { name: 'currency', sql: currency },
    { name: 'category', sql: sometimesBlank(`${strList(CATEGORIES)}[category + 1]`, ur('blank_category')) },
    {
      name: 'channel',
      sql: `CASE WHEN ${isReason('bad', 'unknown_channel')} THEN ['fax', 'Fax', 'telex'][${pickIndex(ur('bad_value'), [3, 1, 1])} + 1]
        ELSE ${sometimesBlank(messyEnum(`${strList(ORDER_CHANNELS)}[channel + 1]`, uk('mess_channel')), uk('blank_channel'))} END`,
    },
    { name: 'country', sql: sometimesBlank(`${strList(COUNTRIES.map((c) => c.code))}[country + 1]`, uk('blank_country')) },
  ];
  return { columns, draws: [draws, perOrder] };
}

/** Channel codes whose orders leave a web/app trail (purchase funnel events). */
export const TRACKED_CHANNELS = { web: codeOf(ORDER_CHANNELS, 'web'), app: codeOf(ORDER_CHANNELS, 'app') } as const;
