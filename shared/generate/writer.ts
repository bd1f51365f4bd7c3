import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { dayString, type Period } from './calendar.ts';
import type { FileFormat } from './context.ts';
import type { Draws, Sql } from './random.ts';

/**
 * Turns a table's rendered rows into files. All three formats go through DuckDB COPY:
 * - csv: header, every value quoted (NULL stays an empty field), lists joined with "|"
 * - jsonl: one `to_json(struct)` per line, written through the CSV writer with a delimiter and quote that JSON
 *   text never contains, because DuckDB's JSON COPY has no PARTITION_BY and we want one code path
 * - parquet: amount DOUBLE, opt-ins BOOLEAN, lists VARCHAR[], everything else VARCHAR
 *
 * Partitions are written one COPY per day rather than with PARTITION_BY: with 2 threads PARTITION_BY splits
 * partitions into a varying number of files, which breaks "same seed → byte-identical lake". A per-day COPY
 * over a day-sorted table is deterministic and, thanks to zone maps, no slower.
 */

export interface OutColumn {
  readonly name: string;
  /** Value as text (CSV/JSONL); a VARCHAR[] for list columns. */
  readonly sql: Sql;
  readonly list?: boolean;
  /** Typed Parquet value when it differs from `sql` (amount, opt-ins). */
  readonly parquet?: Sql;
}

/** A table's output columns plus the per-row draws (messiness, defect variants) they reference. */
export interface RenderSpec {
  readonly columns: readonly OutColumn[];
  readonly draws?: readonly Draws[];
}

export const EXTENSION: Record<FileFormat, string> = { csv: 'csv', jsonl: 'jsonl', parquet: 'parquet' };

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;
const pathLiteral = (path: string) => `'${path.replaceAll("'", "''")}'`;

function columnSql(c: OutColumn, format: FileFormat): Sql {
  if (format === 'parquet') return c.parquet ?? c.sql;
  if (format === 'csv' && c.list) return `array_to_string(${c.sql}, '|')`;
  return c.sql;
}

/**
 * The COPY statement writing `columns` of the rows matched by `from … where … order by` to `file`.
 * `prerendered`: the columns already hold their output form for this format (see writePartitioned).
 */
export function copySql(columns: readonly OutColumn[], format: FileFormat, from: Sql, orderBy: Sql, file: string, prerendered = false): Sql {
  const value = (c: OutColumn) => (prerendered ? c.sql : columnSql(c, format));
  if (format === 'jsonl') {
    const struct = columns.map((c) => `${ident(c.name)} := ${value(c)}`).join(', ');
    return `COPY (SELECT to_json(struct_pack(${struct})) AS line FROM ${from} ORDER BY ${orderBy})
      TO ${pathLiteral(file)} (FORMAT csv, HEADER false, DELIMITER '\x01', QUOTE '\x02', ESCAPE '\x02')`;
  }
  const select = columns.map((c) => `${value(c)} AS ${ident(c.name)}`).join(', ');
  // Quoting every CSV value lets a reader's dialect sniffer see the quote character in any sample, so a rare
  // quoted value ('12,50 EUR') further down is not split at its comma.
  const options = format === 'csv' ? 'FORMAT csv, HEADER true, FORCE_QUOTE *' : 'FORMAT parquet, COMPRESSION snappy';
  return `COPY (SELECT ${select} FROM ${from} ORDER BY ${orderBy}) TO ${pathLiteral(file)} (${options})`;
}

export interface PartitionedWrite {
  readonly render: RenderSpec;
  readonly format: FileFormat;
  /** Lake table folder, e.g. <out>/orders. */
  readonly dir: string;
  readonly period: Period;
  /** Compact source table with an integer `day` column (offset from period start). */
  readonly source: string;
  /** Columns giving a total order within a day; must be unique so output is deterministic. */
  readonly orderBy: readonly string[];
  readonly onPartition?: (done: number, total: number) => void;
}

/** Rows rendered to text at once; bounds memory (~150 bytes a row) while keeping statement count low. */
const CHUNK_ROWS = 2_000_000;

/**
 * Writes `<dir>/dt=YYYY-MM-DD/part-0.<ext>` for each day present in the source; returns rows written.
 * Rendering expressions are large (hash draws, CASEs, lookups) and cost ~10 ms to plan, so they are planned
 * once per chunk of days into a scratch table; the per-day COPYs only select from it. A one-day COPY reads a
 * single row group and so runs on one thread: `conns` (connections to the same database) write days in parallel.
 */
export async function writePartitioned(conns: readonly DuckDBConnection[], w: PartitionedWrite): Promise<number> {
  const [main] = conns;
  if (!main) throw new Error('writePartitioned needs a connection');
  const reader = await main.runAndReadAll(`SELECT day, count(*)::BIGINT AS n FROM ${w.source} GROUP BY day ORDER BY day`);
  const partitions = reader.getRows().map(([day, n]) => ({ day: Number(day), n: Number(n) }));
  const chunks: { day: number; n: number }[][] = [];
  for (const p of partitions) {
    const last = chunks.at(-1);
    if (last && last.reduce((a, q) => a + q.n, 0) + p.n <= CHUNK_ROWS) last.push(p);
    else chunks.push([p]);
  }
  const columns = w.render.columns;
  const rendered = columns.map((c) => ({ name: c.name, sql: ident(c.name) }));
  const keys = w.orderBy.join(', ');
  // A regular (not TEMP) table, so every connection sees it.
  const scratch = `render_${w.source}`;
  let rows = 0;
  let done = 0;
  for (const chunk of chunks) {
    const first = chunk[0]!.day;
    const last = chunk.at(-1)!.day;
    const select = columns.map((c) => `${columnSql(c, w.format)} AS ${ident(c.name)}`).join(', ');
    // Sorted by day (while rows are still compact) so each per-day COPY reads only its own row groups.
    await main.run(`CREATE OR REPLACE TABLE ${scratch} AS
      SELECT day, ${keys}, ${select}
      FROM (SELECT *${(w.render.draws ?? []).map((d) => d.withComma()).join('')} FROM ${w.source} WHERE day BETWEEN ${first} AND ${last} ORDER BY day)`);
    const queue = [...chunk];
    const worker = async (conn: DuckDBConnection) => {
      for (let p = queue.shift(); p; p = queue.shift()) {
        const folder = join(w.dir, `dt=${dayString(w.period, p.day)}`);
        await mkdir(folder, { recursive: true });
        const file = join(folder, `part-0.${EXTENSION[w.format]}`);
        // Columns are already in their output form, so the per-day COPY passes them through unchanged.
        await conn.run(copySql(rendered, w.format, `${scratch} WHERE day = ${p.day}`, keys, file, true));
        rows += p.n;
        w.onPartition?.(++done, partitions.length);
      }
    };
    await Promise.all(conns.map(worker));
  }
  await main.run(`DROP TABLE IF EXISTS ${scratch}`);
  return rows;
}

/** Writes a single unpartitioned file. */
export async function writeSingle(
  conn: DuckDBConnection,
  columns: readonly OutColumn[],
  format: FileFormat,
  source: Sql,
  orderBy: Sql,
  file: string,
): Promise<void> {
  await conn.run(copySql(columns, format, source, orderBy, file));
}
