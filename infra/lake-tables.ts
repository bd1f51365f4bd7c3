import * as glue from 'aws-cdk-lib/aws-glue';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { TABLE_NAMES, type TableName } from '../shared/contracts/lake.ts';
import { glueColumns } from '../shared/engines/athena-lake.ts';
import type { DataStackSettings } from './data-settings.ts';
import { DATA_FORMATS, FORMAT_TABLE_PARAMETERS, SERDE_PARAMETERS, glueColumn, setSerdeParameters } from './glue-formats.ts';

/** Partition column of the lake's daily folders (`dt=YYYY-MM-DD/`). */
export const LAKE_PARTITION_KEY = 'dt';
/**
 * Oldest day partition projection considers. Queries without a dt filter enumerate every day in the range, so it
 * starts no earlier than a lake plausibly does; NOW keeps today's drop visible without any catalog update.
 */
export const LAKE_PROJECTION_START = '2000-01-01';

export interface LakeTablesProps {
  readonly database: glue.IDatabase;
  readonly bucket: s3.IBucket;
  readonly settings: Pick<DataStackSettings, 'lakePrefix' | 'lakeFormats' | 'lakePartitionedTables'>;
}

/**
 * One Glue table per input table over `<lakePrefix><table>/`, with the columns the Athena engine reads
 * (`glueColumns`), so the catalog and the SQL cannot disagree. Daily-partitioned tables use partition projection:
 * new `dt=` folders are queryable the moment they land, with no crawler and no `MSCK REPAIR`.
 */
export class LakeTables extends Construct {
  readonly tables: Readonly<Record<TableName, glue.S3Table>>;

  constructor(scope: Construct, id: string, props: LakeTablesProps) {
    super(scope, id);
    const { lakePrefix, lakeFormats, lakePartitionedTables } = props.settings;
    const entries = TABLE_NAMES.map((table) => {
      const format = lakeFormats[table];
      const prefix = `${lakePrefix}${table}/`;
      const partitioned = lakePartitionedTables.includes(table);
      const glueTable = new glue.S3Table(this, table, {
        database: props.database,
        tableName: table,
        description:
          `Input table ${table} of the segmentation job: ${format} files under ${prefix}` +
          (partitioned ? ` in ${LAKE_PARTITION_KEY}=YYYY-MM-DD/ folders (partition projection; filter on ${LAKE_PARTITION_KEY} to limit the scan)` : ''),
        storage: glue.S3TableStorage.fromBucket(props.bucket),
        s3Prefix: prefix,
        columns: glueColumns(table, format).map((column) => glueColumn(column.name, column.type)),
        dataFormat: DATA_FORMATS[format],
        // The lake is encrypted server-side (SSE-S3 or SSE-KMS), which S3 undoes transparently; `true` would tell
        // Athena to expect client-side encryption.
        hasEncryptedData: false,
        ...(partitioned
          ? {
              partitionKeys: [glueColumn(LAKE_PARTITION_KEY, 'string', 'day of the drop, YYYY-MM-DD')],
              partitionProjection: {
                [LAKE_PARTITION_KEY]: glue.PartitionProjectionConfiguration.date({
                  min: LAKE_PROJECTION_START,
                  max: 'NOW',
                  format: 'yyyy-MM-dd',
                }),
              },
            }
          : {}),
        parameters: {
          ...FORMAT_TABLE_PARAMETERS[format],
          ...(partitioned
            ? { 'storage.location.template': `s3://${props.bucket.bucketName}/${prefix}${LAKE_PARTITION_KEY}=\${${LAKE_PARTITION_KEY}}/` }
            : {}),
        },
      });
      setSerdeParameters(glueTable, SERDE_PARAMETERS[format]);
      return [table, glueTable] as const;
    });
    this.tables = Object.fromEntries(entries) as Record<TableName, glue.S3Table>;
  }
}
