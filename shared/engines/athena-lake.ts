import { TABLES, type TableName } from '../contracts/lake.ts';
import { sqlString } from '../sql/literals.ts';
import type { PartitionWindow } from './partitions.ts';

/**
 * The lake as Athena sees it: one Glue table per input table, declared by the CDK stack from the same catalogue
 * the engine reads it with, so the two can never disagree on a column's type.
 *
 * A Glue table has one format, so on AWS each input table's format is chosen at deploy time (the local reader
 * accepts any mix). Column types per format:
 * - csv (OpenCSVSerde): every column string, as the SerDe reads them anyway;
 * - jsonl (OpenX JSON SerDe): every column string; a JSON array in a tag column arrives as its JSON text and is
 *   joined with '|' by the raw relation, so arrays and '|'-strings both work, as they do locally;
 * - parquet: the physical types the generator writes — amount double, opt-ins boolean, tag lists array<string>,
 *   everything else string. Parquet with other physical types must be converted (or declared csv/jsonl).
 */
export const LAKE_FORMATS = ['csv', 'jsonl', 'parquet'] as const;
export type LakeFormat = (typeof LAKE_FORMATS)[number];

export type GlueType = 'string' | 'double' | 'boolean' | 'array<string>';

export interface GlueColumn {
  readonly name: string;
  readonly type: GlueType;
}

const PARQUET_TYPES: Readonly<Record<string, GlueType>> = {
  amount: 'double',
  email_opt_in: 'boolean',
  sms_opt_in: 'boolean',
  push_opt_in: 'boolean',
};

/** The file suffixes a table of this format may hold under its prefix. */
export const FORMAT_SUFFIX: Readonly<Record<LakeFormat, RegExp>> = {
  csv: /\.csv(\.gz)?$/i,
  jsonl: /\.(jsonl|ndjson|json)(\.gz)?$/i,
  parquet: /\.parquet$/i,
};

export function glueColumns(table: TableName, format: LakeFormat): GlueColumn[] {
  return TABLES[table].columns.map((column) => {
    if (format !== 'parquet') return { name: column.name, type: 'string' };
    if (column.list) return { name: column.name, type: 'array<string>' };
    return { name: column.name, type: PARQUET_TYPES[column.name] ?? 'string' };
  });
}

/** A Trino expression giving a Glue column as the text the staging SQL expects (the DuckDB reader does the same). */
export function textExpression(column: GlueColumn, format: LakeFormat, list: boolean): string {
  const quoted = `"${column.name}"`;
  if (column.type === 'array<string>') return `array_join(${quoted}, '|')`;
  if (column.type !== 'string') return `CAST(${quoted} AS varchar)`;
  if (format === 'jsonl' && list) {
    return `CASE WHEN starts_with(ltrim(${quoted}), '[') THEN array_join(try(CAST(json_parse(${quoted}) AS array(varchar))), '|') ELSE ${quoted} END`;
  }
  return quoted;
}

export interface AthenaLakeTable {
  readonly database: string;
  readonly glueTable: string;
  readonly format: LakeFormat;
  /** s3://bucket/prefix/ of the lake root, stripped from "$path" so source_file reads like the local one. */
  readonly lakeRoot: string;
}

/**
 * The `raw_<table>` relation on Athena: every contract column as text, plus the file each row came from. With a
 * partition window (daily-partitioned tables) it reads only the days in the window.
 */
export function athenaRawRelationSql(table: TableName, source: AthenaLakeTable, window?: PartitionWindow): string {
  const columns = glueColumns(table, source.format).map((column, i) => {
    const list = TABLES[table].columns[i]?.list ?? false;
    return `${textExpression(column, source.format, list)} AS ${column.name}`;
  });
  const days = window ? [`dt <= ${sqlString(window.through)}`, ...(window.after ? [`dt > ${sqlString(window.after)}`] : [])] : [];
  return `(SELECT ${columns.join(', ')}, replace("$path", ${sqlString(source.lakeRoot)}, '') AS source_file FROM ${quoteIdentifier(source.database)}.${quoteIdentifier(source.glueTable)}${days.length > 0 ? ` WHERE ${days.join(' AND ')}` : ''})`;
}

/** An absent optional table: the same columns, no rows. */
export function athenaEmptyRelationSql(table: TableName): string {
  const columns = TABLES[table].columns.map((c) => `CAST(NULL AS varchar) AS ${c.name}`);
  return `(SELECT ${columns.join(', ')}, CAST(NULL AS varchar) AS source_file WHERE false)`;
}

/** Database and table names come from deployment settings checked against this pattern, never from data. */
export const GLUE_NAME = /^[a-z_][a-z0-9_]{0,254}$/;

export function quoteIdentifier(name: string): string {
  if (!GLUE_NAME.test(name)) throw new Error(`not a valid Glue name: ${JSON.stringify(name)}`);
  return `"${name}"`;
}
