/**
 * The limit: the cheapest query that still does what any refresh must do — read every needed column of every
 * table once and bring the rows together per customer. It validates nothing, parses nothing and computes no
 * feature; the refresh's time and bytes are reported as multiples of it.
 *
 * Each needed column feeds one cheap aggregate so DuckDB cannot prune it (an unused column would not be read):
 * text → max(strlen), timestamp text → max (the customer's latest activity), numbers → sum, booleans →
 * count_if, lists → max(len). The three per-customer results are joined into one row per customer, and the
 * query returns one summary row so that handing results to JavaScript costs nothing measurable.
 */
import type { DuckDBResultReader } from '@duckdb/node-api';
import { TABLE_NAMES, TABLES, type TableName } from '../shared/contracts/lake.ts';
import { openBenchDuckDb, type BenchEngineOptions } from './bench-duckdb.ts';
import { measured, type Measured } from './measure.ts';
import { NEEDED_COLUMNS, columnChunkBytes, parquetFileList, tableParquetFiles } from './parquet-bytes.ts';

export interface LimitOptions extends BenchEngineOptions {
  /**
   * Times to run the query; the fastest counts. The first heavy query in a process is up to 2× slower (DuckDB
   * grows its memory from the operating system), and a floor should be the best case. Default 2.
   */
  readonly runs?: number;
}

export interface LimitResult {
  /** Wall time of the fastest run. */
  readonly ms: number;
  readonly runsMs: readonly number[];
  readonly peakRssBytes?: number;
  /** Compressed bytes of the needed column chunks the query reads (all tables). */
  readonly bytes: number;
  readonly bytesByTable: Record<TableName, number>;
  /** Customers in the joined result, as a sanity check against the refresh. */
  readonly customers: number;
  readonly sql: string;
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** The one aggregate that forces a column to be read, chosen by its type in the files. */
function aggregateFor(table: TableName, column: string, type: string): string {
  const c = quote(column);
  const isTimestamp = TABLES[table].columns.find((spec) => spec.name === column)?.timestamp ?? false;
  if (type.endsWith('[]')) return `max(len(${c}))`;
  if (type === 'BOOLEAN') return `count_if(${c})`;
  if (type === 'VARCHAR') return isTimestamp ? `max(${c})` : `max(strlen(${c}))`;
  if (/^(DOUBLE|FLOAT|DECIMAL|BIGINT|INTEGER|SMALLINT|TINYINT|HUGEINT|U)/.test(type)) return `sum(${c})`;
  return `count(${c})`;
}

/**
 * The limit query's SQL for the given files and column types (table → column → DuckDB type). Tables without
 * files are left out. Exported so the benchmark can show the exact statement it timed.
 */
export function limitSql(sources: Partial<Record<TableName, { paths: readonly string[]; types: ReadonlyMap<string, string> }>>): string {
  const ctes: string[] = [];
  const outputs: string[] = [];
  const present = TABLE_NAMES.filter((t) => (sources[t]?.paths.length ?? 0) > 0);
  for (const table of present) {
    const source = sources[table]!;
    const aggregates = NEEDED_COLUMNS[table]
      .filter((column) => column !== 'customer_id' && source.types.has(column))
      .map((column, i) => {
        const alias = `${table}_${i}`;
        const aggregate = aggregateFor(table, column, source.types.get(column)!);
        // The outer summary must use every per-customer aggregate too, or the optimizer drops it and its column.
        outputs.push(aggregate.startsWith('max(') && !aggregate.startsWith('max(strlen') && !aggregate.startsWith('max(len') ? `max(${alias})` : `sum(${alias})`);
        return `${aggregate} AS ${alias}`;
      });
    outputs.push(`sum(${table}_rows)`);
    ctes.push(`${table}_per_customer AS (
  SELECT customer_id, count(*) AS ${table}_rows, ${aggregates.join(', ')}
  FROM read_parquet(${parquetFileList(source.paths)}, union_by_name = true, hive_partitioning = false)
  GROUP BY customer_id
)`);
  }
  const [first, ...rest] = present;
  if (!first) throw new Error('the lake has no Parquet files to measure the limit on');
  const joins = rest.map((t) => `FULL OUTER JOIN ${t}_per_customer USING (customer_id)`).join('\n');
  return `WITH ${ctes.join(',\n')}
SELECT count(*) AS customers, ${outputs.join(', ')}
FROM ${first}_per_customer
${joins}`;
}

/** Runs the limit query on a fresh in-memory DuckDB (`runs` times, the fastest counts); only the query is timed. */
export async function runLimit(lakeDir: string, options: LimitOptions = {}): Promise<LimitResult> {
  const db = await openBenchDuckDb(options);
  try {
    const sources: Partial<Record<TableName, { paths: string[]; types: Map<string, string> }>> = {};
    const bytesByTable = {} as Record<TableName, number>;
    for (const table of TABLE_NAMES) {
      const paths = (await tableParquetFiles(lakeDir, table)).map((f) => f.path);
      bytesByTable[table] = 0;
      if (paths.length === 0) continue;
      const described = await db.connection.runAndReadAll(
        `DESCRIBE SELECT * FROM read_parquet(${parquetFileList(paths)}, union_by_name = true, hive_partitioning = false)`,
      );
      const types = new Map(described.getRowObjects().map((r) => [String(r.column_name).toLowerCase(), String(r.column_type)]));
      sources[table] = { paths, types };
      const chunks = await columnChunkBytes(db.connection, paths);
      bytesByTable[table] = NEEDED_COLUMNS[table].reduce((sum, c) => sum + (chunks.get(c) ?? 0), 0);
    }
    const sql = limitSql(sources);
    const runs: Measured<DuckDBResultReader>[] = [];
    for (let i = 0; i < Math.max(1, options.runs ?? 2); i++) runs.push(await measured(() => db.connection.runAndReadAll(sql)));
    const fastest = runs.reduce((best, run) => (run.ms < best.ms ? run : best));
    const customers = Number(fastest.value.getRows()[0]?.[0] ?? 0);
    return {
      ms: fastest.ms,
      runsMs: runs.map((run) => run.ms),
      peakRssBytes: Math.max(...runs.map((run) => run.peakRssBytes)),
      bytes: Object.values(bytesByTable).reduce((a, b) => a + b, 0),
      bytesByTable,
      customers,
      sql,
    };
  } finally {
    db.close();
  }
}
