import * as glue from 'aws-cdk-lib/aws-glue';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { OUTPUT_TABLES, RUN_PARTITION_KEY, outputTableFolder, type OutputTableName } from '../shared/contracts/output-tables.ts';
import { stateFolder, stateTableName } from '../shared/contracts/state.ts';
import { STATE_COLUMNS, STATE_GRAINS, type StateGrain } from '../shared/sql/state.ts';
import { DATA_FORMATS, glueColumn } from './glue-formats.ts';

export interface ResultTablesProps {
  readonly database: glue.IDatabase;
  readonly bucket: s3.IBucket;
  /** Where `runs/` starts in the results bucket. */
  readonly resultsPrefix: string;
}

/**
 * One Glue table per output table (OUTPUT_TABLES) over `<resultsPrefix>runs/<run>/<table>/` (JSON Lines tables:
 * `runs/<run>/tables/<table>/`, so they never read the persona files in `runs/<run>/personas/`), so analysts and BI
 * tools query published runs with SQL and no crawler. The run partition is projected as `injected`: run ids are
 * not enumerable (they carry a timestamp and a hash), so Athena takes the run from the query's WHERE clause and
 * never lists every run — which also means a query must name the run (latest.json says which is current).
 */
export class ResultTables extends Construct {
  readonly tables: Readonly<Record<OutputTableName, glue.S3Table>>;
  readonly stateTables: Readonly<Record<StateGrain, glue.S3Table>>;

  constructor(scope: Construct, id: string, props: ResultTablesProps) {
    super(scope, id);
    const runsPrefix = `${props.resultsPrefix}runs/`;
    const entries = Object.values(OUTPUT_TABLES).map((table) => {
      const glueTable = new glue.S3Table(this, table.name, {
        database: props.database,
        tableName: table.name,
        description:
          `${table.description}. Partitioned by ${RUN_PARTITION_KEY} (injected projection): every query must filter on ` +
          `${RUN_PARTITION_KEY} = '<run_id>' — the current run is run_id in ${props.resultsPrefix}latest.json.`,
        storage: glue.S3TableStorage.fromBucket(props.bucket),
        s3Prefix: runsPrefix,
        columns: table.columns.map((column) => glueColumn(column.name, column.type, 'comment' in column ? column.comment : undefined)),
        partitionKeys: [glueColumn(RUN_PARTITION_KEY, 'string', 'run id (the runs/<run_id>/ folder)')],
        partitionProjection: { [RUN_PARTITION_KEY]: glue.PartitionProjectionConfiguration.injected() },
        parameters: {
          'storage.location.template': `s3://${props.bucket.bucketName}/${runsPrefix}\${${RUN_PARTITION_KEY}}/${outputTableFolder(table)}`,
        },
        dataFormat: DATA_FORMATS[table.format],
        // Results are SSE-S3 encrypted by the bucket; `true` would tell Athena to expect client-side encryption.
        hasEncryptedData: false,
      });
      return [table.name, glueTable] as const;
    });
    this.tables = Object.fromEntries(entries) as Record<OutputTableName, glue.S3Table>;
    // The feature state each run keeps for the next (shared/sql/state.ts), one table per grain: not for analysts,
    // but the next run's Athena queries read the previous state through them, on the previous run's partition.
    this.stateTables = Object.fromEntries(
      STATE_GRAINS.map((grain) => [
        grain,
        new glue.S3Table(this, stateTableName(grain), {
          database: props.database,
          tableName: stateTableName(grain),
          description: `Internal: the ${grain} of the feature state a run keeps for the next night's incremental run. Partitioned by ${RUN_PARTITION_KEY} (injected).`,
          storage: glue.S3TableStorage.fromBucket(props.bucket),
          s3Prefix: runsPrefix,
          columns: STATE_COLUMNS[grain].map((column) => glueColumn(column.name, glueType(column.type))),
          partitionKeys: [glueColumn(RUN_PARTITION_KEY, 'string', 'run id (the runs/<run_id>/ folder)')],
          partitionProjection: { [RUN_PARTITION_KEY]: glue.PartitionProjectionConfiguration.injected() },
          parameters: { 'storage.location.template': `s3://${props.bucket.bucketName}/${runsPrefix}\${${RUN_PARTITION_KEY}}/${stateFolder(grain)}` },
          dataFormat: DATA_FORMATS.parquet,
          hasEncryptedData: false,
        }),
      ]),
    ) as Record<StateGrain, glue.S3Table>;
  }
}

/** The Hive spelling Glue wants for a Trino type of the state catalogue. */
export function glueType(trino: string): string {
  const named: Record<string, string> = { varchar: 'string', integer: 'int', 'array(varchar)': 'array<string>', 'array(date)': 'array<date>' };
  return named[trino] ?? trino;
}
