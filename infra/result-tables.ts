import * as glue from 'aws-cdk-lib/aws-glue';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { OUTPUT_TABLES, RUN_PARTITION_KEY, outputTableFolder, type OutputTableName } from '../shared/contracts/output-tables.ts';
import { STATE_FOLDER, STATE_TABLE } from '../shared/contracts/state.ts';
import { STATE_COLUMNS } from '../shared/sql/state.ts';
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
  readonly stateTable: glue.S3Table;

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
    // The feature state each run keeps for the next (shared/sql/state.ts): not for analysts, but the next run's
    // Athena query reads the previous state through it, on the previous run's partition.
    this.stateTable = new glue.S3Table(this, STATE_TABLE, {
      database: props.database,
      tableName: STATE_TABLE,
      description: `Internal: the per-customer feature state a run keeps for the next night's incremental run. Partitioned by ${RUN_PARTITION_KEY} (injected).`,
      storage: glue.S3TableStorage.fromBucket(props.bucket),
      s3Prefix: runsPrefix,
      columns: STATE_COLUMNS.map((column) => glueColumn(column.name, glueType(column.type))),
      partitionKeys: [glueColumn(RUN_PARTITION_KEY, 'string', 'run id (the runs/<run_id>/ folder)')],
      partitionProjection: { [RUN_PARTITION_KEY]: glue.PartitionProjectionConfiguration.injected() },
      parameters: { 'storage.location.template': `s3://${props.bucket.bucketName}/${runsPrefix}\${${RUN_PARTITION_KEY}}/${STATE_FOLDER}` },
      dataFormat: DATA_FORMATS.parquet,
      hasEncryptedData: false,
    });
  }
}

/** The Hive spelling Glue wants for a Trino type of the state catalogue. */
export function glueType(trino: string): string {
  const named: Record<string, string> = { varchar: 'string', integer: 'int', 'array(varchar)': 'array<string>', 'array(date)': 'array<date>' };
  return named[trino] ?? trino;
}
