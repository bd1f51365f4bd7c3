/**
 * Input bytes of a benchmark query: the compressed Parquet column chunks it must read. A columnar scan touches
 * only the chunks of the columns it names, so "bytes read" is the sum of those chunks' compressed sizes from the
 * files' footers (`parquet_metadata`), not the file sizes — the same measure Athena bills as "data scanned".
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { TABLE_NAMES, TABLES, type TableName } from '../shared/contracts/lake.ts';
import { listTableFiles } from '../shared/engines/duckdb-lake.ts';
import { sqlString } from '../shared/sql/literals.ts';

/**
 * The columns the refresh reads from each table: every contract column. Staging (shared/sql/staging.ts) selects
 * all eight order columns, all seven event columns and every customer column (profile, tags, consent, dates), so
 * the needed set is the contract itself; test/unit/bench-needed-columns.test.ts checks the staging SQL still
 * names each of them. Extra columns a lake file may carry are not needed and not counted.
 */
const contractColumns = (table: TableName) => TABLES[table].columns.map((c) => c.name);
export const NEEDED_COLUMNS: Readonly<Record<TableName, readonly string[]>> = {
  orders: contractColumns('orders'),
  customers: contractColumns('customers'),
  events: contractColumns('events'),
};

export interface ColumnBytes {
  /** Compressed bytes of the named columns' chunks, summed over every row group of the selected files. */
  readonly neededBytes: number;
  /** Bytes of the selected files on disk (all columns, footers included). */
  readonly fileBytes: number;
  readonly files: number;
  /** Named columns no selected file has (they cost nothing to read). */
  readonly missingColumns: readonly string[];
}

/** A table's Parquet files under the lake, optionally only those whose lake-relative path passes the filter. */
export async function tableParquetFiles(
  lakeDir: string,
  table: TableName,
  filter?: (relativePath: string) => boolean,
): Promise<{ path: string; relative: string; bytes: number }[]> {
  const files = (await listTableFiles(lakeDir, table)) ?? [];
  return files.filter((f) => f.format === 'parquet' && (filter ? filter(f.relative) : true));
}

export const parquetFileList = (paths: readonly string[]) => `[${paths.map(sqlString).join(', ')}]`;

/**
 * Compressed column-chunk bytes per top-level column over the given files. A list column's chunk is named
 * "interests, list, element" in the footer: its first segment is the column.
 */
export async function columnChunkBytes(connection: DuckDBConnection, paths: readonly string[]): Promise<Map<string, number>> {
  const bytes = new Map<string, number>();
  if (paths.length === 0) return bytes;
  const reader = await connection.runAndReadAll(
    `SELECT trim(split_part(path_in_schema, ',', 1)) AS col, sum(total_compressed_size) AS bytes
     FROM parquet_metadata(${parquetFileList(paths)}) GROUP BY 1`,
  );
  for (const [col, sum] of reader.getRows()) bytes.set(String(col).toLowerCase(), Number(sum));
  return bytes;
}

/**
 * Compressed bytes of exactly `columns` over the table's Parquet files (or the partitions `filter` keeps, e.g.
 * only new days), plus their total file bytes. `filter` gets paths relative to the lake, like
 * "orders/dt=2026-06-29/part-0.parquet". Non-Parquet files are ignored.
 */
export async function neededColumnBytes(
  lakeDir: string,
  table: TableName,
  columns: readonly string[] = NEEDED_COLUMNS[table],
  filter?: (relativePath: string) => boolean,
): Promise<ColumnBytes> {
  const files = await tableParquetFiles(lakeDir, table, filter);
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const byColumn = await columnChunkBytes(connection, files.map((f) => f.path));
    const wanted = columns.map((c) => c.toLowerCase());
    return {
      neededBytes: wanted.reduce((sum, c) => sum + (byColumn.get(c) ?? 0), 0),
      fileBytes: files.reduce((sum, f) => sum + f.bytes, 0),
      files: files.length,
      missingColumns: files.length === 0 ? [] : wanted.filter((c) => !byColumn.has(c)),
    };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Needed bytes of every table (NEEDED_COLUMNS), for the ratio "bytes read ÷ needed bytes". */
export async function neededBytesByTable(
  lakeDir: string,
  filter?: (relativePath: string) => boolean,
): Promise<Record<TableName, ColumnBytes>> {
  const result = {} as Record<TableName, ColumnBytes>;
  for (const table of TABLE_NAMES) result[table] = await neededColumnBytes(lakeDir, table, NEEDED_COLUMNS[table], filter);
  return result;
}
