import { mkdtemp, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { REJECT_REASONS, TABLE_NAMES, type TableName } from '../contracts/lake.ts';
import { ARCHETYPES } from './archetypes.ts';
import { plantedReasons } from './bad-rows.ts';
import { buildCalendar, occasionWindows, periodOf } from './calendar.ts';
import { COUNTRIES } from './catalogues.ts';
import { customerIdSql, type FileFormat, type GenContext } from './context.ts';
import { GenerateOptionsError, GenerateStageError, LakeExistsError } from './errors.ts';
import { seededRandom, strList } from './random.ts';
import { customerBaseSql, customerIdsSql } from './sql-customer-base.ts';
import { CUSTOMER_COLUMNS, customerRowsSql } from './sql-customers.ts';
import { eventColumns, eventsSql } from './sql-events.ts';
import { orderColumns, orderRowsSql, ordersSql } from './sql-orders.ts';
import { calendarTablesSql } from './sql-time.ts';
import { EXTENSION, writePartitioned, writeSingle, type RenderSpec } from './writer.ts';

export { GenerateOptionsError, GenerateStageError, LakeExistsError } from './errors.ts';
export { ARCHETYPES } from './archetypes.ts';

/** Bumped whenever the same options would produce different data. */
export const GENERATOR_VERSION = '1.1.0';

export interface GenerateOptions {
  customers: number;
  seed: number;
  out: string;
  asOf: string;
  days?: number;
  formats?: Partial<Record<'customers' | 'orders' | 'events', 'csv' | 'jsonl' | 'parquet'>>;
  badRowShare?: number;
  overwrite?: boolean;
  onProgress?: (stage: string, detail: Record<string, number | string>) => void;
}

export interface GenerateReport {
  out: string;
  seconds: number;
  rows: Record<'customers' | 'orders' | 'events', number>;
  badRows: Record<'customers' | 'orders' | 'events', Record<string, number>>;
  archetypes: Record<string, number>;
}

export const DEFAULT_FORMATS: Readonly<Record<TableName, FileFormat>> = { customers: 'csv', orders: 'parquet', events: 'jsonl' };
const FORMATS: readonly FileFormat[] = ['csv', 'jsonl', 'parquet'];
const MAX_CUSTOMERS = 99_999_999;

/** The lake folders this generator owns inside `out`; overwrite replaces exactly these. */
const OWNED = [...TABLE_NAMES, '_meta'];

interface Resolved {
  customers: number;
  seed: number;
  out: string;
  asOf: string;
  days: number;
  formats: Record<TableName, FileFormat>;
  badRowShare: number;
  overwrite: boolean;
}

function resolveOptions(o: GenerateOptions): Resolved {
  if (!Number.isInteger(o.customers) || o.customers < 1 || o.customers > MAX_CUSTOMERS) {
    throw new GenerateOptionsError(`customers must be an integer from 1 to ${MAX_CUSTOMERS}, got ${o.customers}`);
  }
  if (!Number.isSafeInteger(o.seed)) throw new GenerateOptionsError(`seed must be a safe integer, got ${o.seed}`);
  if (typeof o.out !== 'string' || o.out.trim() === '') throw new GenerateOptionsError('out must be a folder path');
  const days = o.days ?? 365;
  if (!Number.isInteger(days) || days < 1 || days > 3660) throw new GenerateOptionsError(`days must be an integer from 1 to 3660, got ${days}`);
  const badRowShare = o.badRowShare ?? 0.005;
  if (!(badRowShare >= 0 && badRowShare <= 0.5)) throw new GenerateOptionsError(`badRowShare must be between 0 and 0.5, got ${badRowShare}`);
  const formats = { ...DEFAULT_FORMATS, ...o.formats };
  for (const [table, format] of Object.entries(formats)) {
    if (!(TABLE_NAMES as readonly string[]).includes(table)) throw new GenerateOptionsError(`formats: unknown table ${JSON.stringify(table)}`);
    if (!FORMATS.includes(format)) throw new GenerateOptionsError(`formats.${table} must be one of ${FORMATS.join(', ')}, got ${JSON.stringify(format)}`);
  }
  return { customers: o.customers, seed: o.seed, out: resolve(o.out), asOf: o.asOf, days, formats, badRowShare, overwrite: o.overwrite ?? false };
}

async function prepareOut(out: string, overwrite: boolean): Promise<void> {
  const info = await stat(out).catch(() => undefined);
  if (info && !info.isDirectory()) throw new GenerateOptionsError(`out ${out} exists and is not a folder`);
  if (info && (await readdir(out)).length > 0) {
    if (!overwrite) throw new LakeExistsError(out);
    // Only the generator's own folders go, so a mistyped `out` cannot wipe unrelated files.
    await Promise.all(OWNED.map((name) => rm(join(out, name), { recursive: true, force: true })));
  }
  await mkdir(join(out, '_meta'), { recursive: true });
}

export async function generateLake(options: GenerateOptions): Promise<GenerateReport> {
  const started = performance.now();
  const o = resolveOptions(options);
  const period = periodOf(o.asOf, o.days);
  const cal = buildCalendar(period);
  const progress = (stage: string, detail: Record<string, number | string> = {}) => options.onProgress?.(stage, detail);
  const ctx: GenContext = {
    rnd: seededRandom(o.seed),
    cal,
    customers: o.customers,
    badRowShare: o.badRowShare,
    formats: o.formats,
    idDigits: Math.max(7, String(o.customers).length),
  };

  await prepareOut(o.out, o.overwrite);
  const tempDir = await mkdtemp(join(tmpdir(), 'lake-gen-'));
  let instance: DuckDBInstance | undefined;
  const conns: DuckDBConnection[] = [];
  const stage = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    progress(name);
    try {
      return await fn();
    } catch (e) {
      throw e instanceof GenerateStageError ? e : new GenerateStageError(name, e);
    }
  };

  try {
    // 2 threads and ~3 GB keep a 1M-customer run inside a small laptop or CI box; DuckDB spills beyond that.
    instance = await DuckDBInstance.create(':memory:', { threads: '2', memory_limit: '3GB', temp_directory: tempDir });
    // A second connection lets two single-threaded partition writes run at once.
    conns.push(await instance.connect(), await instance.connect());
    const conn = conns[0]!;
    const rows = { customers: 0, orders: 0, events: 0 };
    const badRows = { customers: {}, orders: {}, events: {} } as GenerateReport['badRows'];
    // Each table is built, counted, written and dropped before the next grows, which bounds peak memory.
    const finish = async (table: TableName, source: string) => {
      rows[table] = await count(conn, source);
      badRows[table] = await badCounts(conn, source, plantedReasons(table, o.formats[table]));
      progress(`wrote ${table}`, { rows: rows[table] });
    };
    const writeDays = (table: 'orders' | 'events', source: string, render: RenderSpec, orderBy: string[]) =>
      writePartitioned(conns, {
        render,
        format: o.formats[table],
        dir: join(o.out, table),
        period,
        source,
        orderBy,
        onPartition: (done, total) => {
          if (done === total || done % Math.ceil(total / 4) === 0) progress(`writing ${table}`, { partitions: `${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')}` });
        },
      });

    await stage('building customers', async () => {
      for (const sql of calendarTablesSql(cal)) await conn.run(sql);
      await conn.run(customerIdsSql(ctx));
      await conn.run(customerBaseSql(ctx));
      await conn.run(customerRowsSql(ctx));
    });
    await stage('writing customers', async () => {
      await mkdir(join(o.out, 'customers'), { recursive: true });
      const file = join(o.out, 'customers', `part-0.${EXTENSION[o.formats.customers]}`);
      await writeSingle(conn, CUSTOMER_COLUMNS, o.formats.customers, 'cust_rows', 'num, version', file);
      await finish('customers', 'cust_rows');
      await conn.run('DROP TABLE cust_rows');
    });
    await stage('building orders', async () => {
      await conn.run(ordersSql(ctx));
      await conn.run(orderRowsSql(ctx));
    });
    await stage('writing orders', async () => {
      await writeDays('orders', 'order_rows', orderColumns(ctx), ['ts_s', 'order_num', 'kind', 'line']);
      await finish('orders', 'order_rows');
      await conn.run('DROP TABLE order_rows');
    });
    await stage('building events', async () => {
      await conn.run(eventsSql(ctx));
      await conn.run('DROP TABLE ord');
    });
    await stage('writing events', async () => {
      await writeDays('events', 'ev', eventColumns(ctx), ['ts_s', 'num', 'src', 'a', 'b']);
      await finish('events', 'ev');
      await conn.run('DROP TABLE ev');
    });

    const archetypes = await stage('writing _meta', async () => {
      const archetypes = await archetypeCounts(conn);
      await conn.run(`COPY (SELECT ${customerIdSql(ctx, 'num')} AS customer_id, ${strList(ARCHETYPES)}[arch + 1] AS archetype FROM cust ORDER BY num)
        TO '${join(o.out, '_meta', 'archetypes.csv').replaceAll("'", "''")}' (FORMAT csv, HEADER true)`);
      const generatorJson = {
        generator: 'segment-personas synthetic lake',
        version: GENERATOR_VERSION,
        options: { customers: o.customers, seed: o.seed, asOf: o.asOf, days: o.days, formats: o.formats, badRowShare: o.badRowShare },
        period: { from: period.from, to: period.to, days: period.days },
        rows,
        badRows,
        archetypes,
        occasionWindows: occasionWindows(cal),
        currencies: Object.fromEntries(COUNTRIES.map((c) => [c.code, { currency: c.currency, perEur: c.perEur }])),
        notes: [
          'Partitions dt=YYYY-MM-DD are the UTC day of the row timestamp; a row with a planted bad timestamp stays in the partition of the day it would have had.',
          'badRows counts rows planted with exactly one defect, keyed by the REJECT_REASONS value staging should assign.',
          'Amounts are in the currency of the row; currencies.perEur converts them to EUR.',
          'Customers whose address changed appear twice; the row with the newest updated_at is current.',
        ],
      };
      // No run time or absolute path in here: same options, same bytes.
      await writeFile(join(o.out, '_meta', 'generator.json'), `${JSON.stringify(generatorJson, null, 2)}\n`);
      return archetypes;
    });

    const report: GenerateReport = { out: o.out, seconds: (performance.now() - started) / 1000, rows, badRows, archetypes };
    progress('done', { seconds: Math.round(report.seconds * 10) / 10, ...rows });
    return report;
  } finally {
    for (const c of conns) c.closeSync();
    instance?.closeSync();
    await rm(tempDir, { recursive: true, force: true });
  }
}

async function count(conn: DuckDBConnection, table: string): Promise<number> {
  const r = await conn.runAndReadAll(`SELECT count(*)::BIGINT FROM ${table}`);
  return Number(r.getRows()[0]?.[0] ?? 0);
}

async function badCounts(conn: DuckDBConnection, table: string, planted: readonly string[]): Promise<Record<string, number>> {
  const r = await conn.runAndReadAll(`SELECT bad, count(*)::BIGINT FROM ${table} WHERE bad IS NOT NULL GROUP BY bad`);
  const out: Record<string, number> = Object.fromEntries(planted.map((reason) => [reason, 0]));
  for (const [code, n] of r.getRows()) out[REJECT_REASONS[Number(code)] ?? `code_${code}`] = Number(n);
  return out;
}

async function archetypeCounts(conn: DuckDBConnection): Promise<Record<string, number>> {
  const r = await conn.runAndReadAll('SELECT arch, count(*)::BIGINT FROM cust GROUP BY arch');
  const out: Record<string, number> = Object.fromEntries(ARCHETYPES.map((a) => [a, 0]));
  for (const [arch, n] of r.getRows()) out[ARCHETYPES[Number(arch)] ?? `arch_${arch}`] = Number(n);
  return out;
}
