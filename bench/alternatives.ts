/**
 * What a team would write instead of the refresh, measured on the same lake so the refresh's speed can be given
 * as a multiple of each:
 *
 *  (a) one SQL query per segment over the raw tables — every RFM segment, lifecycle stage and rule segment is a
 *      query of its own that recomputes recency, frequency, monetary (and whatever else its rule needs) from the
 *      raw Parquet and keeps the members of that one segment: N queries × full scans.
 *  (b) a row-by-row script in the host language — the Parquet rows streamed into JavaScript and every figure
 *      (timestamps, per-order totals, per-customer sums, event counts, quintiles, RFM cell, lifecycle stage)
 *      computed per row in Maps.
 *
 * Both are simplified on purpose; what matters is their cost shape, not exact parity with the refresh:
 *  - no validation or quarantine: rows without an id or with a non-ISO timestamp are skipped;
 *  - amounts are summed in the row's own currency (no conversion to the reporting currency);
 *  - (a) scores with ntile(5) (row-number quintiles) where the refresh uses rank-based quintiles that keep ties
 *    together; (b) uses the refresh's rank rule (`quintileScores`);
 *  - the newest customers row is not picked: a customer's attributes are read from any of their rows.
 * Segment queries return only a member count, so fetching members into JavaScript does not blur the scan cost.
 */
import { LIFECYCLE_STAGES, RFM_SEGMENT_IDS, type LifecycleStage, type RfmSegmentId } from '../shared/contracts/features.ts';
import { EVENT_TYPES, TABLE_NAMES, type TableName } from '../shared/contracts/lake.ts';
import { defaultSegmentsConfig } from '../shared/segments/default-config.ts';
import { allRfmCells, rfmSegmentFor } from '../shared/segments/rfm-grid.ts';
import { sqlDate } from '../shared/sql/literals.ts';
import { addDays } from '../shared/time.ts';
import { openBenchDuckDb, type BenchEngineOptions } from './bench-duckdb.ts';
import { measured } from './measure.ts';
import { columnChunkBytes, parquetFileList, tableParquetFiles } from './parquet-bytes.ts';

export interface AlternativeOptions extends BenchEngineOptions {
  /** The as-of date of the refresh being compared (YYYY-MM-DD). */
  readonly asOf: string;
}

// ---------------------------------------------------------------------------------------------------------------
// (a) One query per segment
// ---------------------------------------------------------------------------------------------------------------

/** One naive segment query: its SQL and the raw columns it reads (for its bytes). */
export interface SegmentQuery {
  readonly segment: string;
  readonly kind: 'rfm' | 'lifecycle' | 'rule';
  readonly sql: string;
  readonly reads: Partial<Record<TableName, readonly string[]>>;
}

export interface PerSegmentResult {
  readonly ms: number;
  readonly peakRssBytes: number;
  readonly queries: number;
  /** Compressed column-chunk bytes all queries read together (each query pays for its own scans). */
  readonly bytes: number;
  readonly perQuery: { segment: string; kind: SegmentQuery['kind']; ms: number; members: number; bytes: number }[];
}

const ORDER_COLUMNS = ['customer_id', 'order_id', 'order_ts', 'amount'] as const;

/**
 * The building blocks each naive query repeats: per-order totals → per-customer R, F, M and first purchase →
 * ntile scores; per-customer event counts; customer attributes; every known customer id. Each query copies the
 * ones it needs, as a team pasting the same CTE into every segment's query would.
 */
function segmentCtes(src: Record<TableName, string>, asOf: string) {
  const end = `${sqlDate(addDays(asOf, 1))}`;
  const day = sqlDate(asOf);
  const orderTotals = `order_totals AS (
  SELECT customer_id, order_id, sum(amount) AS total, max(try_cast(order_ts AS timestamp)) AS ts
  FROM ${src.orders} WHERE customer_id IS NOT NULL AND order_id IS NOT NULL
  GROUP BY customer_id, order_id
)`;
  const rfm = `${orderTotals}, rfm AS (
  SELECT customer_id,
    date_diff('day', CAST(max(ts) FILTER (WHERE total > 0) AS date), ${day}) AS recency_days,
    date_diff('day', CAST(min(ts) FILTER (WHERE total > 0) AS date), ${day}) AS first_purchase_days,
    count(*) FILTER (WHERE total > 0) AS frequency,
    sum(total) AS monetary,
    sum(total) FILTER (WHERE total > 0) AS purchase_revenue,
    -sum(total) FILTER (WHERE total < 0) AS returned_amount,
    count(*) FILTER (WHERE total > 0 AND (strftime(ts, '%m-%d') BETWEEN '10-15' AND '10-31'
      OR strftime(ts, '%m-%d') BETWEEN '11-20' AND '12-24')) AS occasion_orders
  FROM order_totals WHERE ts < ${end}
  GROUP BY customer_id
)`;
  const scored = `${rfm}, scored AS (
  SELECT rfm.*,
    ntile(5) OVER (ORDER BY recency_days DESC) AS r,
    ntile(5) OVER (ORDER BY frequency) AS f,
    ntile(5) OVER (ORDER BY monetary) AS m
  FROM rfm WHERE frequency > 0
)`;
  const events = `ev AS (
  SELECT customer_id, count(*) AS events,
    count_if(event_type = 'product_view') AS product_views,
    count_if(event_type = 'add_to_cart') AS add_to_cart,
    count_if(event_type = 'purchase') AS purchase_events,
    count_if(event_type = 'email_open') AS email_opens,
    count_if(device_type IN ('mobile', 'tablet')) AS mobile_events,
    count_if(channel = 'app') AS app_events
  FROM ${src.events} WHERE customer_id IS NOT NULL AND try_cast(event_ts AS timestamp) < ${end}
  GROUP BY customer_id
)`;
  const allIds = `all_ids AS (
  SELECT customer_id FROM ${src.customers} UNION SELECT customer_id FROM ${src.events} UNION SELECT customer_id FROM ${src.orders}
)`;
  const customers = (columns: string) => `cust AS (
  SELECT customer_id, ${columns} FROM ${src.customers} WHERE customer_id IS NOT NULL
  QUALIFY row_number() OVER (PARTITION BY customer_id) = 1
)`;
  return { rfm, scored, events, allIds, customers };
}

/** Every segment as its own query: 12 RFM segments, 5 lifecycle stages, the 9 default rule segments. */
export function perSegmentQueries(src: Record<TableName, string>, asOf: string): SegmentQuery[] {
  const c = segmentCtes(src, asOf);
  const lifecycle = defaultSegmentsConfig().lifecycle;
  const asOfYear = Number(asOf.slice(0, 4));
  const count = (ctes: string[], from: string) => `WITH ${ctes.join(', ')}\nSELECT count(*) AS members FROM ${from}`;
  const eventColumns = ['customer_id', 'event_ts', 'event_type', 'device_type', 'channel'];
  const noPurchase = {
    sql: count([c.rfm, c.allIds], 'all_ids WHERE customer_id IS NOT NULL AND customer_id NOT IN (SELECT customer_id FROM rfm WHERE frequency > 0)'),
    reads: { orders: ORDER_COLUMNS, events: ['customer_id'], customers: ['customer_id'] },
  };

  const rfmQueries: SegmentQuery[] = RFM_SEGMENT_IDS.map((segment: RfmSegmentId) => {
    if (segment === 'no_purchase') return { segment, kind: 'rfm', ...noPurchase };
    const codes = allRfmCells().filter((cell) => cell.segment === segment).map((cell) => cell.r * 100 + cell.f * 10 + cell.m);
    return { segment, kind: 'rfm', sql: count([c.scored], `scored WHERE r * 100 + f * 10 + m IN (${codes.join(', ')})`), reads: { orders: ORDER_COLUMNS } };
  });

  const established = `frequency > 0 AND first_purchase_days > ${lifecycle.newWithinDays}`;
  const stageWhere: Record<Exclude<LifecycleStage, 'prospect'>, string> = {
    new: `frequency > 0 AND first_purchase_days <= ${lifecycle.newWithinDays}`,
    active: `${established} AND recency_days <= ${lifecycle.activeWithinDays}`,
    lapsing: `${established} AND recency_days > ${lifecycle.activeWithinDays} AND recency_days <= ${lifecycle.lapsingWithinDays}`,
    churned: `${established} AND recency_days > ${lifecycle.lapsingWithinDays}`,
  };
  const lifecycleQueries: SegmentQuery[] = LIFECYCLE_STAGES.map((stage) =>
    stage === 'prospect'
      ? { segment: stage, kind: 'lifecycle', ...noPurchase }
      : { segment: stage, kind: 'lifecycle', sql: count([c.rfm], `rfm WHERE ${stageWhere[stage]}`), reads: { orders: ORDER_COLUMNS } },
  );

  // The default rule segments (shared/segments/default-segments.config.json), each written by hand.
  const champions = allRfmCells().filter((cell) => cell.segment === 'champions' || cell.segment === 'loyal').map((cell) => cell.r * 100 + cell.f * 10 + cell.m);
  const rule = (segment: string, sql: string, reads: SegmentQuery['reads']): SegmentQuery => ({ segment, kind: 'rule', sql, reads });
  const ruleQueries: SegmentQuery[] = [
    rule('window_shoppers', count([c.rfm, c.events], 'ev LEFT JOIN rfm USING (customer_id) WHERE coalesce(rfm.frequency, 0) = 0 AND ev.product_views >= 5'), {
      orders: ORDER_COLUMNS,
      events: eventColumns,
    }),
    rule('cart_abandoners', count([c.events], 'ev WHERE add_to_cart >= 3 AND 1 - purchase_events / add_to_cart >= 0.7'), { events: eventColumns }),
    rule('holiday_shoppers', count([c.rfm], 'rfm WHERE frequency >= 1 AND occasion_orders / frequency >= 0.5'), { orders: ORDER_COLUMNS }),
    rule('mobile_high_spenders', count([c.scored, c.events], 'scored JOIN ev USING (customer_id) WHERE m >= 4 AND mobile_events / events >= 0.6'), {
      orders: ORDER_COLUMNS,
      events: eventColumns,
    }),
    rule('email_engaged', count([c.customers('email_opt_in'), c.events], 'cust JOIN ev USING (customer_id) WHERE email_opt_in AND email_opens >= 3'), {
      customers: ['customer_id', 'email_opt_in'],
      events: eventColumns,
    }),
    rule(
      'young_app_natives',
      count([c.customers('birth_year'), c.events], `cust JOIN ev USING (customer_id) WHERE ${asOfYear} - try_cast(birth_year AS integer) BETWEEN 18 AND 34 AND app_events / events >= 0.5`),
      { customers: ['customer_id', 'birth_year'], events: eventColumns },
    ),
    rule('premium_loyalists', count([c.scored, c.customers('income_band')], `scored JOIN cust USING (customer_id) WHERE income_band IN ('upper_middle', 'high') AND r * 100 + f * 10 + m IN (${champions.join(', ')})`), {
      orders: ORDER_COLUMNS,
      customers: ['customer_id', 'income_band'],
    }),
    rule('serial_returners', count([c.rfm], 'rfm WHERE frequency >= 2 AND returned_amount / purchase_revenue >= 0.3'), { orders: ORDER_COLUMNS }),
    rule(
      'recent_signups',
      count([c.customers('signup_date')], `cust WHERE try_cast(signup_date AS date) > ${sqlDate(addDays(asOf, -30))} AND try_cast(signup_date AS date) <= ${sqlDate(asOf)}`),
      { customers: ['customer_id', 'signup_date'] },
    ),
  ];
  return [...rfmQueries, ...lifecycleQueries, ...ruleQueries];
}

/** Bytes a query reads: the compressed chunks of the columns it names, over every file of each table. */
function queryBytes(reads: SegmentQuery['reads'], chunks: Record<TableName, Map<string, number>>): number {
  return Object.entries(reads).reduce(
    (sum, [table, columns]) => sum + (columns ?? []).reduce((s, c) => s + (chunks[table as TableName].get(c) ?? 0), 0),
    0,
  );
}

export async function runPerSegmentQueries(lakeDir: string, options: AlternativeOptions): Promise<PerSegmentResult> {
  const db = await openBenchDuckDb(options);
  try {
    const src = {} as Record<TableName, string>;
    const chunks = {} as Record<TableName, Map<string, number>>;
    for (const table of TABLE_NAMES) {
      const paths = (await tableParquetFiles(lakeDir, table)).map((f) => f.path);
      if (paths.length === 0) throw new Error(`${lakeDir} has no Parquet ${table}: the per-segment queries need all three tables`);
      src[table] = `read_parquet(${parquetFileList(paths)}, union_by_name = true, hive_partitioning = false)`;
      chunks[table] = await columnChunkBytes(db.connection, paths);
    }
    const queries = perSegmentQueries(src, options.asOf);
    const perQuery: PerSegmentResult['perQuery'] = [];
    const total = await measured(async () => {
      for (const query of queries) {
        const run = await measured(() => db.connection.runAndReadAll(query.sql));
        perQuery.push({
          segment: query.segment,
          kind: query.kind,
          ms: run.ms,
          members: Number(run.value.getRows()[0]?.[0] ?? 0),
          bytes: queryBytes(query.reads, chunks),
        });
      }
    });
    return {
      ms: total.ms,
      peakRssBytes: total.peakRssBytes,
      queries: queries.length,
      bytes: perQuery.reduce((sum, q) => sum + q.bytes, 0),
      perQuery,
    };
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// (b) Row by row in TypeScript
// ---------------------------------------------------------------------------------------------------------------

/**
 * Scores 1–5 by rank-based quintiles, the refresh's rule: score = 1 + floor(5·(rank−1)/n) with rank() (ties share
 * the lowest rank), so equal values always get equal scores. `descending` ranks the largest value first (recency
 * in days: the longest ago gets 1, the most recent 5).
 */
export function quintileScores(values: Float64Array, descending = false): Uint8Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => (descending ? values[b]! - values[a]! : values[a]! - values[b]!));
  const scores = new Uint8Array(n);
  let rank = 1;
  for (let i = 0; i < n; i++) {
    if (i > 0 && values[order[i]!] !== values[order[i - 1]!]) rank = i + 1;
    scores[order[i]!] = 1 + Math.floor((5 * (rank - 1)) / n);
  }
  return scores;
}

const DAY_MS = 86_400_000;
const EVENT_INDEX = new Map<string, number>(EVENT_TYPES.map((t, i) => [t, i]));
const MOBILE = EVENT_TYPES.length;
const APP = EVENT_TYPES.length + 1;

interface CustomerState {
  frequency: number;
  monetary: number;
  firstPurchaseDay: number;
  lastPurchaseDay: number;
  /** Count per event type (EVENT_TYPES order), then mobile/tablet events, then app-channel events. */
  events: Int32Array | null;
}

export interface RowByRowResult {
  readonly ms: number;
  readonly peakRssBytes: number;
  readonly rows: Record<TableName, number>;
  readonly customers: number;
  readonly rfmSegments: Record<RfmSegmentId, number>;
  readonly lifecycleStages: Record<LifecycleStage, number>;
}

/** An ISO-8601 timestamp as epoch ms, or NaN; other formats are skipped like the refresh rejects them. */
function isoMs(value: unknown): number {
  if (typeof value !== 'string' || value.length < 10 || value[4] !== '-' || value[7] !== '-') return Number.NaN;
  return Date.parse(value);
}

/**
 * Streams a table's Parquet rows into JavaScript one file at a time (the way a script would loop over a lake's
 * files), handing each row's values to `onRow`; DuckDB only decodes the Parquet, in chunks of 2,048 rows.
 */
async function forEachRow(
  db: Awaited<ReturnType<typeof openBenchDuckDb>>,
  paths: readonly string[],
  columns: readonly string[],
  onRow: (values: unknown[]) => void,
  onFileEnd?: () => void,
): Promise<number> {
  let rows = 0;
  const row: unknown[] = new Array(columns.length);
  for (const path of paths) {
    const result = await db.connection.stream(
      `SELECT ${columns.map((c) => `"${c}"`).join(', ')} FROM read_parquet(${parquetFileList([path])}, union_by_name = true, hive_partitioning = false)`,
    );
    for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
      const vectors = chunk.getColumns();
      for (let i = 0; i < chunk.rowCount; i++) {
        for (let c = 0; c < vectors.length; c++) row[c] = vectors[c]![i];
        onRow(row);
      }
      rows += chunk.rowCount;
    }
    onFileEnd?.();
  }
  return rows;
}

export async function runRowByRow(lakeDir: string, options: AlternativeOptions): Promise<RowByRowResult> {
  const db = await openBenchDuckDb(options);
  try {
    const paths = {} as Record<TableName, string[]>;
    for (const table of TABLE_NAMES) paths[table] = (await tableParquetFiles(lakeDir, table)).map((f) => f.path);
    const run = await measured(() => rowByRow(db, paths, options.asOf));
    return { ms: run.ms, peakRssBytes: run.peakRssBytes, ...run.value };
  } finally {
    db.close();
  }
}

async function rowByRow(db: Awaited<ReturnType<typeof openBenchDuckDb>>, paths: Record<TableName, string[]>, asOf: string) {
  const endMs = Date.parse(`${addDays(asOf, 1)}T00:00:00Z`);
  const asOfDay = Math.floor(Date.parse(`${asOf}T00:00:00Z`) / DAY_MS);
  const customers = new Map<string, CustomerState>();
  const customer = (id: string) => {
    let state = customers.get(id);
    if (!state) {
      state = { frequency: 0, monetary: 0, firstPurchaseDay: Infinity, lastPurchaseDay: -Infinity, events: null };
      customers.set(id, state);
    }
    return state;
  };

  // Orders: lines are summed per order within a file (an order's lines share its timestamp and so its dt=
  // partition), then each finished order is added to its customer. A Map of every order in the lake would hold
  // ~6 M keys at a million customers; per file it holds a day's orders.
  const orderTotals = new Map<string, { customerId: string; total: number; ms: number }>();
  const orderRows = await forEachRow(
    db,
    paths.orders,
    ['customer_id', 'order_id', 'order_ts', 'amount'],
    ([customerId, orderId, orderTs, amount]) => {
      if (typeof customerId !== 'string' || typeof orderId !== 'string' || customerId === '' || orderId === '') return;
      const ms = isoMs(orderTs);
      const value = Number(amount);
      if (!(ms < endMs) || !Number.isFinite(value)) return;
      const key = `${customerId}\u0000${orderId}`;
      const order = orderTotals.get(key);
      if (order) {
        order.total += value;
        order.ms = Math.max(order.ms, ms);
      } else orderTotals.set(key, { customerId, total: value, ms });
    },
    () => {
      for (const order of orderTotals.values()) {
        const state = customer(order.customerId);
        state.monetary += order.total;
        if (order.total > 0) {
          const day = Math.floor(order.ms / DAY_MS);
          state.frequency += 1;
          state.firstPurchaseDay = Math.min(state.firstPurchaseDay, day);
          state.lastPurchaseDay = Math.max(state.lastPurchaseDay, day);
        }
      }
      orderTotals.clear();
    },
  );

  const eventRows = await forEachRow(db, paths.events, ['customer_id', 'event_ts', 'event_type', 'device_type', 'channel'], ([customerId, eventTs, eventType, device, channel]) => {
    if (typeof customerId !== 'string' || customerId === '') return;
    const type = EVENT_INDEX.get(String(eventType).trim().toLowerCase());
    if (type === undefined || !(isoMs(eventTs) < endMs)) return;
    const state = customer(customerId);
    const counts = (state.events ??= new Int32Array(EVENT_TYPES.length + 2));
    counts[type]! += 1;
    if (device === 'mobile' || device === 'tablet') counts[MOBILE]! += 1;
    if (channel === 'app') counts[APP]! += 1;
  });

  // Customers: only their ids matter here (registered customers without orders or events are prospects).
  const customerRows = await forEachRow(db, paths.customers, ['customer_id'], ([customerId]) => {
    if (typeof customerId === 'string' && customerId !== '') customer(customerId);
  });

  // RFM: scores over buyers only, then the grid; lifecycle from first and last purchase.
  const buyers = [...customers.values()].filter((s) => s.frequency > 0);
  const recency = quintileScores(Float64Array.from(buyers, (s) => asOfDay - s.lastPurchaseDay), true);
  const frequency = quintileScores(Float64Array.from(buyers, (s) => s.frequency));
  const monetary = quintileScores(Float64Array.from(buyers, (s) => s.monetary));
  const rfmSegments = Object.fromEntries(RFM_SEGMENT_IDS.map((id) => [id, 0])) as Record<RfmSegmentId, number>;
  rfmSegments.no_purchase = customers.size - buyers.length;
  buyers.forEach((_, i) => {
    rfmSegments[rfmSegmentFor(recency[i]!, frequency[i]!, monetary[i]!)] += 1;
  });
  const { newWithinDays, activeWithinDays, lapsingWithinDays } = defaultSegmentsConfig().lifecycle;
  const lifecycleStages = Object.fromEntries(LIFECYCLE_STAGES.map((s) => [s, 0])) as Record<LifecycleStage, number>;
  for (const state of customers.values()) {
    const recencyDays = asOfDay - state.lastPurchaseDay;
    const stage: LifecycleStage =
      state.frequency === 0
        ? 'prospect'
        : asOfDay - state.firstPurchaseDay <= newWithinDays
          ? 'new'
          : recencyDays <= activeWithinDays
            ? 'active'
            : recencyDays <= lapsingWithinDays
              ? 'lapsing'
              : 'churned';
    lifecycleStages[stage] += 1;
  }
  return {
    rows: { orders: orderRows, events: eventRows, customers: customerRows },
    customers: customers.size,
    rfmSegments,
    lifecycleStages,
  };
}
