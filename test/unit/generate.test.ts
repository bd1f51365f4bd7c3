import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEVICE_TYPES,
  EDUCATION_LEVELS,
  EVENT_CHANNELS,
  EVENT_TYPES,
  GENDERS,
  INCOME_BANDS,
  ISO_TIMESTAMP_PATTERN,
  MARITAL_STATUSES,
  ORDER_CHANNELS,
  REJECT_REASONS,
  TABLES,
  TABLE_NAMES,
  type RejectReason,
  type TableName,
} from '../../shared/contracts/lake.ts';
import { ARCHETYPE_SPECS } from '../../shared/generate/archetypes.ts';
import {
  generateLake,
  GenerateOptionsError,
  LakeExistsError,
  type GenerateOptions,
  type GenerateReport,
} from '../../shared/generate/generate-lake.ts';

/**
 * The generator is checked from the outside: every assertion reads the written files back with DuckDB (or zod)
 * the way a consumer would, and compares them with the contract and with _meta/generator.json.
 */

type Format = 'csv' | 'jsonl' | 'parquet';
type Formats = Record<TableName, Format>;

const AS_OF = '2026-01-15';
const CUSTOMERS = 4000;
const DEFAULT_FORMATS: Formats = { customers: 'csv', orders: 'parquet', events: 'jsonl' };

interface Lake {
  dir: string;
  report: GenerateReport;
  formats: Formats;
  meta: GeneratorJson;
}

interface GeneratorJson {
  version: string;
  options: { customers: number; seed: number; asOf: string; days: number; formats: Formats; badRowShare: number };
  period: { from: string; to: string; days: number };
  rows: Record<TableName, number>;
  badRows: Record<TableName, Record<string, number>>;
  archetypes: Record<string, number>;
  occasionWindows: { occasion: string; from: string; to: string }[];
  currencies: Record<string, { currency: string; perEur: number }>;
}

let root: string;
let db: DuckDBInstance;
let conn: DuckDBConnection;
const lakes: Record<'main' | 'same' | 'otherSeed' | 'formatsA' | 'formatsB', Lake> = {} as never;

async function makeLake(name: string, options: Partial<GenerateOptions>): Promise<Lake> {
  const dir = join(root, name);
  const report = await generateLake({ customers: CUSTOMERS, seed: 7, asOf: AS_OF, out: dir, ...options });
  const meta = JSON.parse(await readFile(join(dir, '_meta', 'generator.json'), 'utf8')) as GeneratorJson;
  return { dir, report, meta, formats: { ...DEFAULT_FORMATS, ...options.formats } };
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'generate-test-'));
  lakes.main = await makeLake('main', {});
  lakes.same = await makeLake('same', {});
  lakes.otherSeed = await makeLake('other-seed', { seed: 8 });
  // Smaller lakes over a shorter period: they exist to cover every table in every format.
  const small = { customers: 1500, days: 120 };
  lakes.formatsA = await makeLake('formats-a', { ...small, formats: { customers: 'parquet', orders: 'csv', events: 'parquet' } });
  lakes.formatsB = await makeLake('formats-b', { ...small, formats: { customers: 'jsonl', orders: 'jsonl', events: 'csv' } });
  db = await DuckDBInstance.create(':memory:', { threads: '2' });
  conn = await db.connect();
  for (const [name, lake] of Object.entries(lakes)) {
    // Read each table once; the assertions below query these copies many times.
    for (const table of TABLE_NAMES) await conn.run(`CREATE TABLE ${name}_${table} AS ${textView(lake, table)}`);
    await conn.run(`CREATE TABLE ${name}_archetypes AS SELECT * FROM read_csv('${lake.dir}/_meta/archetypes.csv', all_varchar = true)`);
  }
});

afterAll(async () => {
  conn?.closeSync();
  db?.closeSync();
  if (root) await rm(root, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------------------------
// Reading the lake back

const sqlStr = (s: string) => `'${s.replaceAll("'", "''")}'`;
const sqlList = (values: readonly string[]) => `(${values.map(sqlStr).join(', ')})`;

/** A table's files as raw rows in their native types, plus `dt` from the partition folder. */
function rawSource(lake: Lake, table: TableName): string {
  const format = lake.formats[table];
  const ext = format;
  const partitioned = table !== 'customers';
  const glob = partitioned ? `${lake.dir}/${table}/*/*.${ext}` : `${lake.dir}/${table}/*.${ext}`;
  const hive = partitioned ? ', hive_partitioning = true, hive_types_autocast = false' : ', hive_partitioning = false';
  if (format === 'csv') return `read_csv('${glob}', header = true, all_varchar = true, delim = ',', quote = '"', escape = '"'${hive})`;
  if (format === 'parquet') return `read_parquet('${glob}'${hive})`;
  const columns = TABLES[table].columns.map((c) => `'${c.name}': '${c.list ? 'VARCHAR[]' : 'VARCHAR'}'`).join(', ');
  return `read_json('${glob}', format = 'newline_delimited', columns = {${columns}}${hive})`;
}

/** Every contract column as text (lists joined with '|', like CSV), plus dt for partitioned tables. */
function textView(lake: Lake, table: TableName): string {
  const cols = TABLES[table].columns.map((c) => {
    const isList = c.list && lake.formats[table] !== 'csv';
    return isList ? `array_to_string(${c.name}, '|') AS ${c.name}` : `CAST(${c.name} AS VARCHAR) AS ${c.name}`;
  });
  return `SELECT ${cols.join(', ')}${table === 'customers' ? '' : ', dt'} FROM ${rawSource(lake, table)}`;
}

async function rows<T = Record<string, unknown>>(sql: string): Promise<T[]> {
  const reader = await conn.runAndReadAll(sql);
  return reader.getRowObjectsJS() as T[];
}

async function scalar(sql: string): Promise<number> {
  const reader = await conn.runAndReadAll(sql);
  return Number(reader.getRows()[0]?.[0]);
}

async function hashTree(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string) => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) await walk(full);
      else out.set(relative(dir, full), createHash('sha256').update(await readFile(full)).digest('hex'));
    }
  };
  await walk(dir);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// The contract rules as SQL: the oracle for planted defects

const blank = (c: string) => `(${c} IS NULL OR trim(${c}) = '')`;
const present = (c: string) => `NOT ${blank(c)}`;
const notIn = (c: string, values: readonly string[]) => `${present(c)} AND lower(trim(${c})) NOT IN ${sqlList(values)}`;
const notIso = (c: string) => `${present(c)} AND NOT regexp_matches(trim(${c}), ${sqlStr(ISO_TIMESTAMP_PATTERN)})`;
const tooLong = (limits: Record<string, number>) =>
  Object.entries(limits)
    .map(([c, n]) => `coalesce(length(${c}), 0) > ${n}`)
    .join(' OR ');

const RULES: Record<TableName, [RejectReason, string][]> = {
  orders: [
    ['missing_customer_id', blank('customer_id')],
    ['missing_order_id', blank('order_id')],
    ['missing_timestamp', blank('order_ts')],
    ['bad_timestamp', notIso('order_ts')],
    ['missing_amount', blank('amount')],
    ['non_numeric_amount', `${present('amount')} AND NOT coalesce(isfinite(TRY_CAST(trim(amount) AS DOUBLE)), false)`],
    ['bad_currency', `${present('currency')} AND NOT regexp_matches(trim(currency), '^[A-Za-z]{3}$')`],
    ['unknown_channel', notIn('channel', ORDER_CHANNELS)],
    ['value_too_long', tooLong({ order_id: 256, customer_id: 256, category: 200, country: 100 })],
  ],
  customers: [
    ['missing_customer_id', blank('customer_id')],
    ['bad_birth_year', `${present('birth_year')} AND NOT coalesce(TRY_CAST(trim(birth_year) AS INTEGER) BETWEEN 1900 AND 2100, false)`],
    ['unknown_gender', notIn('gender', GENDERS)],
    ['unknown_income_band', notIn('income_band', INCOME_BANDS)],
    ['unknown_education', notIn('education', EDUCATION_LEVELS)],
    ['unknown_marital_status', notIn('marital_status', MARITAL_STATUSES)],
    ['bad_signup_date', `${present('signup_date')} AND NOT regexp_matches(trim(signup_date), '^\\d{4}-\\d{2}-\\d{2}$')`],
    ['bad_timestamp', notIso('updated_at')],
    ['bad_consent_flag', ['email_opt_in', 'sms_opt_in', 'push_opt_in'].map((c) => `(${notIn(c, ['true', 'false', '1', '0', 'yes', 'no'])})`).join(' OR ')],
    ['value_too_long', tooLong({ customer_id: 256, occupation: 200, country: 100, region: 200, city: 200 })],
  ],
  events: [
    ['missing_customer_id', blank('customer_id')],
    ['missing_timestamp', blank('event_ts')],
    ['bad_timestamp', notIso('event_ts')],
    ['unknown_event_type', `${blank('event_type')} OR lower(trim(event_type)) NOT IN ${sqlList(EVENT_TYPES)}`],
    ['unknown_channel', notIn('channel', EVENT_CHANNELS)],
    ['unknown_device_type', notIn('device_type', DEVICE_TYPES)],
    ['value_too_long', tooLong({ customer_id: 256, os: 100, browser: 100 })],
  ],
};

/** The view with `defects`: the list of contract rules each row breaks. */
function checked(view: string, table: TableName): string {
  const defects = RULES[table].map(([reason, when]) => `CASE WHEN ${when} THEN ${sqlStr(reason)} END`).join(', ');
  return `(SELECT *, list_filter([${defects}], x -> x IS NOT NULL) AS defects FROM ${view})`;
}

/** Good rows only, enums normalised the way the contract reads them (case-insensitive, trimmed). */
function good(view: string, table: TableName): string {
  return `(SELECT * REPLACE (${normalisedEnums(table)}) FROM ${checked(view, table)} WHERE len(defects) = 0)`;
}

function normalisedEnums(table: TableName): string {
  const enums: Record<TableName, string[]> = {
    orders: ['channel'],
    customers: ['gender', 'income_band', 'education', 'marital_status'],
    events: ['event_type', 'channel', 'device_type'],
  };
  return enums[table].map((c) => `nullif(lower(trim(${c})), '') AS ${c}`).join(', ');
}

const nonZero = (counts: Record<string, number>) => Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));

// ---------------------------------------------------------------------------------------------------------------

describe('generateLake: determinism', () => {
  it('writes byte-identical files for the same seed and options', async () => {
    const [a, b] = await Promise.all([hashTree(lakes.main.dir), hashTree(lakes.same.dir)]);
    expect(a.size).toBeGreaterThan(700);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [file, hash] of a) expect(b.get(file), file).toBe(hash);
  });

  it('writes different data for a different seed, with the same overall shape', async () => {
    const [a, b] = await Promise.all([hashTree(lakes.main.dir), hashTree(lakes.otherSeed.dir)]);
    const same = [...a].filter(([file, hash]) => b.get(file) === hash && !file.startsWith('_meta'));
    expect(same).toEqual([]);
    for (const table of TABLE_NAMES) {
      expect(lakes.otherSeed.report.rows[table] / lakes.main.report.rows[table]).toBeGreaterThan(0.9);
      expect(lakes.otherSeed.report.rows[table] / lakes.main.report.rows[table]).toBeLessThan(1.1);
    }
  });
});

describe('generateLake: layout and formats', () => {
  it('writes customers unpartitioned, orders and events in dt=YYYY-MM-DD partitions, and _meta', async () => {
    const { dir, meta } = lakes.main;
    expect(await readdir(join(dir, 'customers'))).toEqual(['part-0.csv']);
    expect((await readdir(join(dir, '_meta'))).sort()).toEqual(['archetypes.csv', 'generator.json']);
    for (const [table, ext] of [
      ['orders', 'parquet'],
      ['events', 'jsonl'],
    ] as const) {
      const partitions = (await readdir(join(dir, table))).sort();
      expect(partitions.length).toBeGreaterThan(300);
      for (const p of partitions) {
        expect(p).toMatch(/^dt=\d{4}-\d{2}-\d{2}$/);
        expect(p.slice(3) >= meta.period.from && p.slice(3) <= meta.period.to, p).toBe(true);
        expect(await readdir(join(dir, table, p))).toEqual([`part-0.${ext}`]);
      }
    }
    expect(meta.period).toEqual({ from: '2025-01-15', to: '2026-01-14', days: 365 });
    expect(meta.options).toMatchObject({ customers: CUSTOMERS, seed: 7, asOf: AS_OF, days: 365, formats: DEFAULT_FORMATS, badRowShare: 0.005 });
  });

  it('writes exactly the contract columns, in contract order, with no dt column inside the files', async () => {
    for (const lake of [lakes.main, lakes.formatsA, lakes.formatsB]) {
      for (const table of TABLE_NAMES) {
        const format = lake.formats[table];
        const source = rawSource(lake, table).replace(/hive_partitioning = true, hive_types_autocast = false/, 'hive_partitioning = false');
        const described = await rows<{ column_name: string }>(`DESCRIBE SELECT * FROM ${source}`);
        expect(described.map((d) => d.column_name), `${table} as ${format}`).toEqual(TABLES[table].columns.map((c) => c.name));
      }
    }
  });

  it('uses the column types each format calls for', async () => {
    const typeOf = async (lake: Lake, table: TableName, column: string) => {
      const source = rawSource(lake, table);
      const d = await rows<{ column_name: string; column_type: string }>(`DESCRIBE SELECT * FROM ${source}`);
      return d.find((x) => x.column_name === column)?.column_type;
    };
    // Parquet: amount DOUBLE, timestamps and ids text, lists as lists.
    expect(await typeOf(lakes.main, 'orders', 'amount')).toBe('DOUBLE');
    expect(await typeOf(lakes.main, 'orders', 'order_ts')).toBe('VARCHAR');
    expect(await typeOf(lakes.main, 'orders', 'order_id')).toBe('VARCHAR');
    expect(await typeOf(lakes.formatsA, 'customers', 'interests')).toBe('VARCHAR[]');
    expect(await typeOf(lakes.formatsA, 'customers', 'updated_at')).toBe('VARCHAR');
    expect(await typeOf(lakes.formatsA, 'events', 'event_ts')).toBe('VARCHAR');
    // JSON Lines: lists are arrays; CSV: '|'-separated text.
    const jsonLine = (await readFile(join(lakes.formatsB.dir, 'customers', 'part-0.jsonl'), 'utf8')).split('\n', 200);
    const parsed = jsonLine.filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.some((r) => Array.isArray(r.interests) && (r.interests as unknown[]).length > 1)).toBe(true);
    expect(parsed.every((r) => r.interests === null || Array.isArray(r.interests))).toBe(true);
    const csv = await readFile(join(lakes.main.dir, 'customers', 'part-0.csv'), 'utf8');
    expect(csv.split('\n', 1)[0]).toBe(TABLES.customers.columns.map((c) => `"${c.name}"`).join(','));
    expect(csv).toMatch(/,"[a-z_]+\|[a-z_]+(\|[a-z_]+)*",/);
    expect(csv).toMatch(/,"(true|false)","(true|false)","(true|false)","\d{4}-\d{2}-\d{2}","\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z"\r?\n/);
  });

  it('reads back every table in every format with the row counts generator.json states', async () => {
    const combinations = new Set<string>();
    for (const name of ['main', 'formatsA', 'formatsB'] as const) {
      const lake = lakes[name];
      for (const table of TABLE_NAMES) {
        combinations.add(`${table}:${lake.formats[table]}`);
        const n = await scalar(`SELECT count(*) FROM ${name}_${table}`);
        expect(n, `${name} ${table}`).toBe(lake.meta.rows[table]);
        expect(n).toBe(lake.report.rows[table]);
      }
    }
    expect(combinations.size).toBe(9);
  });

  it('puts each row in the partition of its UTC timestamp day; rows with a bad timestamp keep their would-be day', async () => {
    for (const name of ['main', 'formatsA', 'formatsB'] as const) {
      for (const [table, ts] of [
        ['orders', 'order_ts'],
        ['events', 'event_ts'],
      ] as const) {
        const view = `${name}_${table}`;
        const iso = `regexp_matches(${ts}, ${sqlStr(ISO_TIMESTAMP_PATTERN)})`;
        expect(await scalar(`SELECT count(*) FROM ${view} WHERE ${iso} AND substr(${ts}, 1, 10) <> dt`), view).toBe(0);
        expect(await scalar(`SELECT count(*) FROM ${view} WHERE ${iso} AND NOT regexp_matches(${ts}, 'T\\d{2}:\\d{2}:\\d{2}Z$')`)).toBe(0);
        const { from, to } = lakes[name].meta.period;
        expect(await scalar(`SELECT count(*) FROM ${view} WHERE NOT ${iso} AND dt BETWEEN '${from}' AND '${to}'`)).toBeGreaterThan(0);
      }
    }
  });
});

describe('generateLake: planted bad rows', () => {
  it('counts in generator.json equal what the contract rules find in the files, in every format', async () => {
    for (const name of ['main', 'formatsA', 'formatsB'] as const) {
      const lake = lakes[name];
      for (const table of TABLE_NAMES) {
        const found = await rows<{ reason: string; n: bigint }>(
          `SELECT defects[1] AS reason, count(*) AS n FROM ${checked(`${name}_${table}`, table)} WHERE len(defects) > 0 GROUP BY 1`,
        );
        const foundCounts = Object.fromEntries(found.map((r) => [r.reason, Number(r.n)]));
        expect(foundCounts, `${name} ${table}`).toEqual(nonZero(lake.meta.badRows[table]));
        expect(lake.report.badRows[table]).toEqual(lake.meta.badRows[table]);
        expect(Object.keys(lake.meta.badRows[table]).every((r) => (REJECT_REASONS as readonly string[]).includes(r))).toBe(true);
      }
    }
  });

  it('gives every bad row exactly one defect', async () => {
    for (const name of ['main', 'formatsA', 'formatsB'] as const) {
      for (const table of TABLE_NAMES) {
        expect(await scalar(`SELECT count(*) FROM ${checked(`${name}_${table}`, table)} WHERE len(defects) > 1`), `${name} ${table}`).toBe(0);
      }
    }
  });

  it('plants about badRowShare of each table, with every planted reason present', async () => {
    for (const table of TABLE_NAMES) {
      const { rows: n, badRows } = lakes.main.report;
      const bad = Object.values(badRows[table]).reduce((a, b) => a + b, 0);
      expect(bad / n[table], table).toBeGreaterThan(0.0025);
      expect(bad / n[table], table).toBeLessThan(0.01);
    }
    expect(Object.keys(lakes.main.meta.badRows.orders).sort()).toEqual(['bad_timestamp', 'missing_customer_id', 'missing_order_id', 'unknown_channel']);
    expect(Object.keys(lakes.formatsA.meta.badRows.orders)).toContain('non_numeric_amount');
    expect(lakes.formatsA.meta.badRows.orders.non_numeric_amount).toBeGreaterThan(0);
    expect(Object.keys(lakes.main.meta.badRows.customers).sort()).toEqual(['bad_birth_year', 'unknown_gender']);
    expect(Object.keys(lakes.main.meta.badRows.events).sort()).toEqual(['bad_timestamp', 'missing_customer_id', 'unknown_event_type']);
  });

  it('writes good rows that pass the zod contract and bad rows that fail it', async () => {
    for (const name of ['main', 'formatsB'] as const) {
      const lake = lakes[name];
      for (const table of TABLE_NAMES) {
        const schema = TABLES[table].schema;
        const data = await rows(`SELECT * FROM ${rawSource(lake, table)}`);
        const enumColumns = normalisedEnums(table).match(/AS (\w+)/g)!.map((m) => m.slice(3));
        let failures = 0;
        for (const row of data) {
          const clean: Record<string, unknown> = {};
          for (const [key, value] of Object.entries(row)) {
            if (key === 'dt' || value === null || value === undefined) continue;
            const v = typeof value === 'string' ? value.trim() : value;
            if (v === '') continue;
            clean[key] = enumColumns.includes(key) && typeof v === 'string' ? v.toLowerCase() : v;
          }
          if (!schema.safeParse(clean).success) failures++;
        }
        const planted = Object.values(lake.meta.badRows[table]).reduce((a, b) => a + b, 0);
        expect(failures, `${name} ${table}`).toBe(planted);
      }
    }
  });
});

describe('generateLake: enums and harmless messiness', () => {
  it('uses only contract enum values in good rows', async () => {
    const distinct = async (view: string, table: TableName, column: string) =>
      (await rows<{ v: string | null }>(`SELECT DISTINCT ${column} AS v FROM ${good(view, table)}`)).map((r) => r.v).filter((v) => v !== null);
    for (const name of ['main', 'formatsA', 'formatsB'] as const) {
      const sub = <T extends string>(values: string[], allowed: readonly T[]) => expect(values.filter((v) => !(allowed as readonly string[]).includes(v))).toEqual([]);
      sub(await distinct(`${name}_orders`, 'orders', 'channel'), ORDER_CHANNELS);
      sub(await distinct(`${name}_customers`, 'customers', 'gender'), GENDERS);
      sub(await distinct(`${name}_customers`, 'customers', 'income_band'), INCOME_BANDS);
      sub(await distinct(`${name}_customers`, 'customers', 'education'), EDUCATION_LEVELS);
      sub(await distinct(`${name}_customers`, 'customers', 'marital_status'), MARITAL_STATUSES);
      sub(await distinct(`${name}_events`, 'events', 'event_type'), EVENT_TYPES);
      sub(await distinct(`${name}_events`, 'events', 'channel'), EVENT_CHANNELS);
      sub(await distinct(`${name}_events`, 'events', 'device_type'), DEVICE_TYPES);
    }
    // Every event type and order channel actually occurs.
    expect((await distinct('main_events', 'events', 'event_type')).length).toBe(EVENT_TYPES.length);
    expect((await distinct('main_orders', 'orders', 'channel')).length).toBe(ORDER_CHANNELS.length);
  });

  it('mixes case and padding into enum values and leaves optional fields empty now and then', async () => {
    expect(await scalar(`SELECT count(*) FROM main_orders WHERE channel <> lower(channel) AND channel <> 'Fax'`)).toBeGreaterThan(0);
    expect(await scalar(`SELECT count(*) FROM main_events WHERE device_type LIKE ' %'`)).toBeGreaterThan(0);
    expect(await scalar(`SELECT count(*) FROM main_customers WHERE gender <> lower(trim(gender))`)).toBeGreaterThan(0);
    expect(await scalar(`SELECT count(*) FROM main_orders WHERE category = ''`)).toBeGreaterThan(0);
    expect(await scalar(`SELECT count(*) FROM main_events WHERE os = ''`)).toBeGreaterThan(0);
  });

  it('leaves 10–20% of demographics missing and exports ~1–2% of customers twice with a newer updated_at', async () => {
    for (const column of ['birth_year', 'gender', 'income_band', 'education', 'marital_status', 'occupation']) {
      const missing = await scalar(`SELECT avg(CASE WHEN ${blank(column)} THEN 1 ELSE 0 END) FROM main_customers`);
      expect(missing, column).toBeGreaterThan(0.07);
      expect(missing, column).toBeLessThan(0.22);
    }
    const dup = await rows<{ ids: bigint; dups: bigint; same_ts: bigint; moved: bigint }>(`
      SELECT count(*) AS ids, count(*) FILTER (WHERE n = 2) AS dups,
        count(*) FILTER (WHERE n = 2 AND ts_distinct = 1) AS same_ts,
        count(*) FILTER (WHERE n = 2 AND city_distinct = 2) AS moved
      FROM (SELECT customer_id, count(*) AS n, count(DISTINCT updated_at) AS ts_distinct, count(DISTINCT city) AS city_distinct
            FROM main_customers GROUP BY 1)`);
    const d = dup[0]!;
    expect(Number(d.ids)).toBe(CUSTOMERS);
    expect(Number(d.dups) / CUSTOMERS).toBeGreaterThan(0.007);
    expect(Number(d.dups) / CUSTOMERS).toBeLessThan(0.025);
    expect(Number(d.same_ts)).toBe(0);
    expect(Number(d.moved)).toBeGreaterThan(0);
  });
});

describe('generateLake: volumes and realism', () => {
  it('averages about 10 order rows and 20 events per customer', async () => {
    for (const lake of [lakes.main, lakes.otherSeed]) {
      expect(lake.report.rows.orders / CUSTOMERS).toBeGreaterThan(8);
      expect(lake.report.rows.orders / CUSTOMERS).toBeLessThan(12.5);
      expect(lake.report.rows.events / CUSTOMERS).toBeGreaterThan(16);
      expect(lake.report.rows.events / CUSTOMERS).toBeLessThan(25);
      expect(lake.report.rows.customers / CUSTOMERS).toBeGreaterThan(1.005);
      expect(lake.report.rows.customers / CUSTOMERS).toBeLessThan(1.03);
    }
  });

  it('plants archetypes in the configured shares and lists them in _meta/archetypes.csv', async () => {
    const { archetypes } = lakes.main.report;
    expect(Object.values(archetypes).reduce((a, b) => a + b, 0)).toBe(CUSTOMERS);
    for (const spec of ARCHETYPE_SPECS) expect(Math.abs((archetypes[spec.name] ?? 0) / CUSTOMERS - spec.share), spec.name).toBeLessThan(0.025);
    const fromCsv = await rows<{ archetype: string; n: bigint }>(`SELECT archetype, count(*) AS n FROM main_archetypes GROUP BY 1`);
    expect(Object.fromEntries(fromCsv.map((r) => [r.archetype, Number(r.n)]))).toEqual(nonZero(archetypes));
  });

  it('keeps event device, OS, browser and channel consistent with each other', async () => {
    const ev = good('main_events', 'events');
    const bad = async (where: string) => scalar(`SELECT count(*) FROM ${ev} WHERE ${where}`);
    expect(await bad(`event_type IN ('email_open', 'email_click') AND channel IS DISTINCT FROM 'email' AND channel IS NOT NULL`)).toBe(0);
    expect(await bad(`event_type = 'push_open' AND channel <> 'push'`)).toBe(0);
    expect(await bad(`event_type = 'sms_click' AND channel <> 'sms'`)).toBe(0);
    expect(await bad(`event_type = 'app_open' AND channel <> 'app'`)).toBe(0);
    expect(await bad(`channel = 'app' AND (device_type NOT IN ('mobile', 'tablet') OR os NOT IN ('ios', 'android', '') OR browser <> '')`)).toBe(0);
    expect(await bad(`device_type = 'desktop' AND (os NOT IN ('windows', 'macos', 'linux', '') OR coalesce(browser, 'chrome') NOT IN ('chrome', 'firefox', 'edge', 'safari', ''))`)).toBe(0);
    expect(await bad(`browser = 'safari' AND os NOT IN ('ios', 'macos', '')`)).toBe(0);
    expect(await bad(`device_type IN ('mobile', 'tablet') AND os NOT IN ('ios', 'android', '')`)).toBe(0);
  });

  it('has a purchase funnel that narrows at every step', async () => {
    const counts = await rows<{ t: string; n: bigint }>(`SELECT event_type AS t, count(*) AS n FROM ${good('main_events', 'events')} GROUP BY 1`);
    const n = (t: string) => Number(counts.find((c) => c.t === t)?.n ?? 0);
    const funnel = ['page_view', 'product_view', 'add_to_cart', 'checkout_start', 'purchase'].map(n);
    for (let i = 1; i < funnel.length; i++) expect(funnel[i]!, String(i)).toBeLessThan(funnel[i - 1]!);
    expect(funnel[4]).toBeGreaterThan(0);
  });

  it('shows seasonality, occasion categories, one currency per country and returns in both export styles', async () => {
    const o = good('main_orders', 'orders');
    const perDay = async (where: string) =>
      scalar(`SELECT count(*) / count(DISTINCT dt) FROM ${o} WHERE amount::DOUBLE > 0 AND ${where}`);
    const novDec = await perDay(`substr(dt, 6, 2) IN ('11', '12')`);
    const rest = await perDay(`substr(dt, 6, 2) NOT IN ('11', '12')`);
    expect(novDec / rest).toBeGreaterThan(1.3);
    const share = async (dates: string, cats: string[]) =>
      scalar(`SELECT avg(CASE WHEN category IN ${sqlList(cats)} THEN 1 ELSE 0 END) FROM ${o} WHERE amount::DOUBLE > 0 AND ${dates}`);
    const xmas = `substr(dt, 6, 5) BETWEEN '11-20' AND '12-24'`;
    const halloween = `substr(dt, 6, 5) BETWEEN '10-15' AND '10-31'`;
    const ordinary = `NOT (${xmas}) AND NOT (${halloween})`;
    expect(await share(xmas, ['toys', 'gifts', 'decorations'])).toBeGreaterThan(0.3);
    expect(await share(halloween, ['costumes', 'decorations', 'candy'])).toBeGreaterThan(0.3);
    expect(await share(ordinary, ['toys', 'gifts', 'decorations', 'costumes', 'candy'])).toBe(0);
    const currencies = await rows<{ country: string; n: bigint }>(
      `SELECT country, count(DISTINCT currency) AS n FROM ${o} WHERE country <> '' GROUP BY 1`,
    );
    expect(currencies.length).toBe(7);
    expect(currencies.every((c) => Number(c.n) === 1)).toBe(true);
    const styles = await rows<{ inline: bigint; return_orders: bigint; mixed_return_orders: bigint }>(`
      SELECT count(*) FILTER (WHERE order_id LIKE 'o%' AND amount::DOUBLE < 0) AS inline,
        count(*) FILTER (WHERE order_id LIKE 'r%') AS return_orders,
        count(*) FILTER (WHERE order_id LIKE 'r%' AND amount::DOUBLE >= 0) AS mixed_return_orders
      FROM ${o}`);
    expect(Number(styles[0]!.inline)).toBeGreaterThan(0);
    expect(Number(styles[0]!.return_orders)).toBeGreaterThan(0);
    expect(Number(styles[0]!.mixed_return_orders)).toBe(0);
    // Lines of one order (sale lines and refunds on the same id) share its timestamp, channel and country.
    expect(
      await scalar(`SELECT count(*) FROM (SELECT order_id FROM ${o} GROUP BY 1
        HAVING count(DISTINCT order_ts) > 1 OR count(DISTINCT coalesce(channel, '-')) > 1 OR count(DISTINCT country) > 1)`),
    ).toBe(0);
    expect(await scalar(`SELECT count(*) FROM (SELECT order_id FROM ${o} GROUP BY 1 HAVING count(*) > 1)`)).toBeGreaterThan(0);
  });
});

describe('generateLake: archetypes behave as planted', () => {
  /** Per customer: sale orders, returns, recency, spend in EUR, first/last order day, archetype. */
  const perCustomer = () => {
    const rates = Object.values(lakes.main.meta.currencies);
    const perEur = `CASE upper(currency) ${rates.map((r) => `WHEN '${r.currency}' THEN ${r.perEur}`).join(' ')} END`;
    return `(
      SELECT a.customer_id, a.archetype,
        count(DISTINCT o.order_id) FILTER (WHERE o.amount::DOUBLE > 0) AS orders,
        count(*) FILTER (WHERE o.amount::DOUBLE > 0) AS sale_lines,
        count(*) FILTER (WHERE o.amount::DOUBLE < 0) AS return_lines,
        median(o.amount::DOUBLE / ${perEur}) FILTER (WHERE o.amount::DOUBLE > 0) AS median_eur,
        DATE '${AS_OF}' - max(o.dt::DATE) FILTER (WHERE o.amount::DOUBLE > 0) AS recency_days,
        DATE '${AS_OF}' - min(o.dt::DATE) FILTER (WHERE o.amount::DOUBLE > 0) AS first_order_days,
        count(*) FILTER (WHERE lower(trim(o.channel)) = 'app') / nullif(count(o.order_id), 0) AS app_share
      FROM main_archetypes a LEFT JOIN ${good('main_orders', 'orders')} o USING (customer_id)
      GROUP BY ALL)`;
  };
  const byArchetype = async () => {
    const stats = await rows<Record<string, number | string | null>>(`
      SELECT archetype, count(*) AS customers, median(orders) AS orders, median(recency_days) AS recency,
        max(recency_days) AS max_recency, min(recency_days) AS min_recency, median(median_eur) AS amount, sum(return_lines) / nullif(sum(sale_lines), 0) AS return_share,
        sum(orders) AS total_orders, min(first_order_days) AS min_first_order_days, median(app_share) AS app_share
      FROM ${perCustomer()} GROUP BY 1`);
    return Object.fromEntries(stats.map((s) => [s.archetype as string, Object.fromEntries(Object.entries(s).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]))]));
  };

  it('separates archetypes by orders, recency, spend and returns', async () => {
    const s = await byArchetype();
    const loyal = s.loyal_premium!;
    const regular = s.regular!;
    expect(s.browser_never_buys!.total_orders).toBe(0);
    expect(s.inactive!.total_orders).toBe(0);
    expect(Number(loyal.orders)).toBeGreaterThan(2 * Number(regular.orders));
    expect(Number(loyal.recency)).toBeLessThan(Number(regular.recency));
    expect(Number(loyal.max_recency)).toBeLessThanOrEqual(20);
    expect(Number(loyal.amount)).toBeGreaterThan(1.5 * Number(regular.amount));
    expect(Number(s.mobile_bargain_hunter!.amount)).toBeLessThan(0.6 * Number(regular.amount));
    expect(Number(s.mobile_bargain_hunter!.app_share)).toBeGreaterThan(0.5);
    expect(Number(s.serial_returner!.return_share)).toBeGreaterThan(0.3);
    expect(Number(s.serial_returner!.return_share)).toBeGreaterThan(4 * Number(regular.return_share));
    expect(Number(s.lapsed!.min_recency)).toBeGreaterThanOrEqual(200);
    expect(Number(s.lapsed!.max_recency)).toBeLessThanOrEqual(365);
    expect(Number(s.new_customer!.min_first_order_days)).toBeLessThanOrEqual(30);
  });

  it('has holiday gifters buy only inside the Halloween and Christmas windows', async () => {
    const outside = await scalar(`
      SELECT count(*) FROM ${good('main_orders', 'orders')} o JOIN main_archetypes a USING (customer_id)
      WHERE a.archetype = 'holiday_gifter' AND o.order_id LIKE 'o%'
        AND NOT (substr(o.dt, 6, 5) BETWEEN '10-15' AND '10-31' OR substr(o.dt, 6, 5) BETWEEN '11-20' AND '12-24')`);
    expect(outside).toBe(0);
    const categories = await scalar(`
      SELECT avg(CASE WHEN category IN ('toys', 'gifts', 'decorations', 'costumes', 'candy') THEN 1 ELSE 0 END)
      FROM ${good('main_orders', 'orders')} o JOIN main_archetypes a USING (customer_id)
      WHERE a.archetype = 'holiday_gifter' AND category <> ''`);
    expect(categories).toBe(1);
  });

  it('has lapsed customers only open emails in the last 200 days, and new customers sign up within 30 days', async () => {
    const recent = await rows<{ t: string }>(`
      SELECT DISTINCT e.event_type AS t FROM ${good('main_events', 'events')} e JOIN main_archetypes a USING (customer_id)
      WHERE a.archetype = 'lapsed' AND e.dt::DATE > DATE '${AS_OF}' - 200`);
    expect(recent.map((r) => r.t)).toEqual(['email_open']);
    const lateSignups = await scalar(`
      SELECT count(*) FROM main_customers c JOIN main_archetypes a USING (customer_id)
      WHERE a.archetype = 'new_customer' AND NOT (signup_date::DATE BETWEEN DATE '${AS_OF}' - 30 AND DATE '${AS_OF}' - 1)`);
    expect(lateSignups).toBe(0);
  });

  it('has mobile bargain hunters on phones with abandoned carts, browsers without purchases, inactive customers silent', async () => {
    const stats = await rows<{ archetype: string; events: bigint; mobile: number; carts: bigint; purchases: bigint }>(`
      SELECT a.archetype, count(e.customer_id) AS events,
        avg(CASE WHEN e.device_type IN ('mobile', 'tablet') THEN 1 ELSE 0 END) AS mobile,
        count(*) FILTER (WHERE e.event_type = 'add_to_cart') AS carts,
        count(*) FILTER (WHERE e.event_type = 'purchase') AS purchases
      FROM main_archetypes a LEFT JOIN ${good('main_events', 'events')} e USING (customer_id) GROUP BY 1`);
    const s = Object.fromEntries(stats.map((r) => [r.archetype, r]));
    const abandonment = (a: string) => 1 - Number(s[a]!.purchases) / Number(s[a]!.carts);
    expect(s.mobile_bargain_hunter!.mobile).toBeGreaterThan(0.85);
    expect(s.loyal_premium!.mobile).toBeLessThan(0.4);
    expect(abandonment('mobile_bargain_hunter')).toBeGreaterThan(abandonment('loyal_premium') + 0.2);
    expect(Number(s.mobile_bargain_hunter!.events) / lakes.main.report.archetypes.mobile_bargain_hunter!).toBeGreaterThan(
      (2 * Number(s.regular!.events)) / lakes.main.report.archetypes.regular!,
    );
    expect(Number(s.browser_never_buys!.events)).toBeGreaterThan(0);
    expect(Number(s.browser_never_buys!.purchases)).toBe(0);
    expect(Number(s.inactive!.events)).toBe(0);
  });

  it('gives loyal customers high income and email, bargain hunters youth and push opt-in', async () => {
    const stats = await rows<{ archetype: string; high_income: number; email: number; push: number; birth_year: number }>(`
      SELECT a.archetype,
        avg(CASE WHEN c.income_band IN ('high', 'upper_middle') THEN 1 ELSE 0 END) FILTER (WHERE c.income_band IS NOT NULL) AS high_income,
        avg(CASE WHEN email_opt_in = 'true' THEN 1 ELSE 0 END) AS email,
        avg(CASE WHEN push_opt_in = 'true' THEN 1 ELSE 0 END) AS push,
        median(TRY_CAST(birth_year AS INTEGER)) AS birth_year
      FROM main_archetypes a JOIN ${good('main_customers', 'customers')} c USING (customer_id) GROUP BY 1`);
    const s = Object.fromEntries(stats.map((r) => [r.archetype, r]));
    expect(s.loyal_premium!.high_income).toBeGreaterThan(0.7);
    expect(s.mobile_bargain_hunter!.high_income).toBeLessThan(0.1);
    expect(s.loyal_premium!.email).toBeGreaterThan(0.8);
    expect(s.mobile_bargain_hunter!.push).toBeGreaterThan(0.8);
    expect(Number(s.mobile_bargain_hunter!.birth_year)).toBeGreaterThan(1995);
  });
});

describe('generateLake: options', () => {
  it('refuses a non-empty output folder unless overwrite is set, and then replaces only its own folders', async () => {
    const out = join(root, 'occupied');
    await mkdir(out, { recursive: true });
    await writeFile(join(out, 'notes.txt'), 'keep me');
    await expect(generateLake({ customers: 50, seed: 1, asOf: AS_OF, out, days: 30 })).rejects.toBeInstanceOf(LakeExistsError);
    const report = await generateLake({ customers: 50, seed: 1, asOf: AS_OF, out, days: 30, overwrite: true });
    expect(report.rows.customers).toBeGreaterThanOrEqual(50);
    expect(await readFile(join(out, 'notes.txt'), 'utf8')).toBe('keep me');
    const partitions = await readdir(join(out, 'orders'));
    expect(partitions.every((p) => p >= 'dt=2025-12-16' && p <= 'dt=2026-01-14')).toBe(true);
  });

  it('rejects invalid options with a clear error', async () => {
    const base = { customers: 10, seed: 1, asOf: AS_OF, out: join(root, 'invalid') };
    await expect(generateLake({ ...base, asOf: '15.01.2026' })).rejects.toThrow(GenerateOptionsError);
    await expect(generateLake({ ...base, asOf: '2026-02-30' })).rejects.toThrow(/not a calendar date/);
    await expect(generateLake({ ...base, customers: 0 })).rejects.toThrow(/customers/);
    await expect(generateLake({ ...base, badRowShare: 2 })).rejects.toThrow(/badRowShare/);
    await expect(generateLake({ ...base, formats: { orders: 'xlsx' as never } })).rejects.toThrow(/formats.orders/);
  });

  it('reports progress through onProgress', async () => {
    const stages: string[] = [];
    await generateLake({ customers: 20, seed: 3, asOf: AS_OF, out: join(root, 'progress'), days: 10, onProgress: (stage) => stages.push(stage) });
    expect(stages[0]).toBe('building customers');
    expect(stages.at(-1)).toBe('done');
    expect(stages).toContain('writing events');
  });
});
