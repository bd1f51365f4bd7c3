import type { Construct } from 'constructs';
import { TABLE_NAMES, type TableName } from '../shared/contracts/lake.ts';
import { LAKE_FORMATS, type LakeFormat } from '../shared/engines/athena-lake.ts';
import { ContextError, integerContext, keyPrefixContext, listContext, mapContext, optionalString } from './context.ts';

/** The settings a deployment may override with `cdk -c key=value` or `context` in cdk.json. */
export interface DataStackSettings {
  /** An existing data-lake bucket to read from; when absent the stack creates (and retains) one. */
  readonly lakeBucketName?: string;
  /** Where the lake's table folders (`orders/`, `customers/`, `events/`) start in the lake bucket. */
  readonly lakePrefix: string;
  /** Where `runs/`, `latest.json` and `work/` start in the results bucket. */
  readonly resultsPrefix: string;
  /** Each input table's file format; a Glue table has exactly one. */
  readonly lakeFormats: Readonly<Record<TableName, LakeFormat>>;
  /** Input tables laid out in `dt=YYYY-MM-DD/` folders. */
  readonly lakePartitionedTables: readonly TableName[];
  /** Days a run's `runs/<run_id>/` output is kept before it expires. */
  readonly runRetentionDays: number;
  /** Per-query Athena scan limit in bytes. */
  readonly bytesScannedCutoffPerQuery: number;
  /** Glue (and so Athena) database holding the lake's tables. */
  readonly glueDatabaseName: string;
}

export const DATA_STACK_DEFAULTS = {
  lakePrefix: '',
  resultsPrefix: '',
  lakeFormats: { orders: 'parquet', customers: 'parquet', events: 'parquet' },
  // Orders and events grow daily and arrive in daily drops; customers is a snapshot that is replaced.
  lakePartitionedTables: ['orders', 'events'],
  runRetentionDays: 400,
  bytesScannedCutoffPerQuery: 100 * 1024 ** 3,
  glueDatabaseName: 'customer_segments',
} as const satisfies Omit<DataStackSettings, 'lakeBucketName'>;

// Athena rejects a cutoff below 10 MB; catching it here beats a failed deployment.
const MIN_BYTES_SCANNED_CUTOFF = 10_000_000;

export function dataStackSettingsFromContext(scope: Construct): DataStackSettings {
  const lakeBucketName = optionalString(scope, 'lakeBucketName');
  if (lakeBucketName !== undefined && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(lakeBucketName)) {
    throw new ContextError('lakeBucketName', `'${lakeBucketName}' is not a valid S3 bucket name`);
  }
  const glueDatabaseName = optionalString(scope, 'glueDatabaseName') ?? DATA_STACK_DEFAULTS.glueDatabaseName;
  // Glue accepts more, but Athena needs quoting for anything beyond lower-case letters, digits and '_'.
  if (!/^[a-z0-9_]{1,255}$/.test(glueDatabaseName)) {
    throw new ContextError('glueDatabaseName', `'${glueDatabaseName}' must be lower-case letters, digits and '_'`);
  }
  return {
    ...(lakeBucketName === undefined ? {} : { lakeBucketName }),
    lakePrefix: keyPrefixContext(scope, 'lakePrefix'),
    resultsPrefix: keyPrefixContext(scope, 'resultsPrefix'),
    lakeFormats: lakeFormatsContext(scope),
    lakePartitionedTables: partitionedTablesContext(scope),
    runRetentionDays: integerContext(scope, 'runRetentionDays', DATA_STACK_DEFAULTS.runRetentionDays, 1),
    bytesScannedCutoffPerQuery: integerContext(
      scope,
      'bytesScannedCutoffPerQuery',
      DATA_STACK_DEFAULTS.bytesScannedCutoffPerQuery,
      MIN_BYTES_SCANNED_CUTOFF,
    ),
    glueDatabaseName,
  };
}

const isTableName = (name: string): name is TableName => (TABLE_NAMES as readonly string[]).includes(name);
const isLakeFormat = (name: string): name is LakeFormat => (LAKE_FORMATS as readonly string[]).includes(name);

/** Tables left out keep the default, so `-c lakeFormats=customers=csv` changes just that one. */
function lakeFormatsContext(scope: Construct): Record<TableName, LakeFormat> {
  const given = mapContext(scope, 'lakeFormats') ?? {};
  const formats: Record<TableName, LakeFormat> = { ...DATA_STACK_DEFAULTS.lakeFormats };
  for (const [table, format] of Object.entries(given)) {
    if (!isTableName(table)) throw new ContextError('lakeFormats', `unknown table '${table}' (tables: ${TABLE_NAMES.join(', ')})`);
    if (!isLakeFormat(format)) {
      throw new ContextError('lakeFormats', `unknown format '${format}' for ${table} (formats: ${LAKE_FORMATS.join(', ')})`);
    }
    formats[table] = format;
  }
  return formats;
}

function partitionedTablesContext(scope: Construct): TableName[] {
  const given = listContext(scope, 'lakePartitionedTables');
  if (given === undefined) return [...DATA_STACK_DEFAULTS.lakePartitionedTables];
  for (const table of given) {
    if (!isTableName(table)) {
      throw new ContextError('lakePartitionedTables', `unknown table '${table}' (tables: ${TABLE_NAMES.join(', ')}; 'none' for no partitions)`);
    }
  }
  return TABLE_NAMES.filter((table) => given.includes(table));
}
