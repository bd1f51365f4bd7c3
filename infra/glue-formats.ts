import * as glue from 'aws-cdk-lib/aws-glue';
import type { LakeFormat } from '../shared/engines/athena-lake.ts';

/** How each file format the project reads or writes is declared to Glue (and so to Athena). */
export const DATA_FORMATS: Readonly<Record<LakeFormat, glue.DataFormat>> = {
  csv: glue.DataFormat.CSV, // OpenCSVSerde: handles quoted fields with embedded commas, unlike LazySimpleSerDe
  jsonl: glue.DataFormat.JSON, // OpenX JSON SerDe
  parquet: glue.DataFormat.PARQUET,
};

/**
 * SerDe parameters per format. S3Table has no property for them, so they are set on the CloudFormation resource.
 * A malformed JSON line becomes a row of nulls instead of failing the whole query; staging then rejects it for its
 * missing customer id, which is how the local reader treats such lines too.
 */
export const SERDE_PARAMETERS: Readonly<Record<LakeFormat, Readonly<Record<string, string>>>> = {
  csv: { separatorChar: ',', quoteChar: '"' },
  jsonl: { 'ignore.malformed.json': 'true' },
  parquet: {},
};

/** Table parameters per format: the lake's CSV files carry a header row. */
export const FORMAT_TABLE_PARAMETERS: Readonly<Record<LakeFormat, Readonly<Record<string, string>>>> = {
  csv: { 'skip.header.line.count': '1' },
  jsonl: {},
  parquet: {},
};

/** A Glue column from a Hive type string such as `string`, `array<string>` or `array<struct<…>>`. */
export function glueColumn(name: string, type: string, comment?: string): glue.Column {
  return {
    name,
    type: { inputString: type, isPrimitive: !/[<(]/.test(type) },
    ...(comment === undefined ? {} : { comment }),
  };
}

export function setSerdeParameters(table: glue.S3Table, parameters: Readonly<Record<string, string>>): void {
  if (Object.keys(parameters).length === 0) return;
  const resource = table.node.defaultChild as glue.CfnTable;
  resource.addPropertyOverride('TableInput.StorageDescriptor.SerdeInfo.Parameters', { ...parameters });
}
