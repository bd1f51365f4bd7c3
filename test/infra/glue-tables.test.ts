import { stateTableName } from '../../shared/contracts/state.ts';
import { STATE_COLUMNS, STATE_GRAINS } from '../../shared/sql/state.ts';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { SegmentsDataStack, dataStackSettingsFromContext } from '../../infra/data-stack.ts';
import { TABLE_NAMES, type TableName } from '../../shared/contracts/lake.ts';
import { OUTPUT_TABLES, RUN_PARTITION_KEY } from '../../shared/contracts/output-tables.ts';
import { glueColumns, type LakeFormat } from '../../shared/engines/athena-lake.ts';
import { CDK_JSON_CONTEXT, flat } from './synth.ts';

const synth = (context: Record<string, unknown> = {}) => {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, ...context } });
  const stack = new SegmentsDataStack(app, 'LakeStack', { settings: dataStackSettingsFromContext(app) });
  const tables = Object.values(Template.fromStack(stack).findResources('AWS::Glue::Table')).map(
    (resource) => resource.Properties.TableInput as TableInput,
  );
  return { stack, table: (name: string) => tables.find((t) => t.Name === name)!, tables };
};

interface TableInput {
  Name: string;
  Description: string;
  Parameters: Record<string, unknown>;
  PartitionKeys?: { Name: string; Type: string }[];
  StorageDescriptor: {
    Columns: { Name: string; Type: string; Comment?: string }[];
    Location: unknown;
    InputFormat: string;
    SerdeInfo: { SerializationLibrary: string; Parameters?: Record<string, string> };
  };
}

const SERDE: Record<LakeFormat, string> = {
  csv: 'org.apache.hadoop.hive.serde2.OpenCSVSerde',
  jsonl: 'org.openx.data.jsonserde.JsonSerDe',
  parquet: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
};
const columnsOf = (table: TableName, format: LakeFormat) => glueColumns(table, format).map((c) => ({ Name: c.name, Type: c.type }));

// Two synths cover every branch: the defaults, and an imported lake under a prefix with mixed formats.
const defaults = synth();
const mixed = synth({
  lakeBucketName: 'acme-lake',
  lakePrefix: 'exports/shop/',
  resultsPrefix: 'segments/',
  lakeFormats: 'customers=csv,events=jsonl',
  lakePartitionedTables: 'orders',
});

describe('lake tables', () => {
  it('declares orders, customers and events in the job database, with the engine’s columns for their format', () => {
    for (const table of TABLE_NAMES) {
      const input = defaults.table(table);
      expect(input.StorageDescriptor.Columns).toEqual(columnsOf(table, 'parquet'));
      expect(input.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe(SERDE.parquet);
      expect(input.Parameters.has_encrypted_data).toBe(false);
      expect(flat(input.StorageDescriptor.Location)).toBe(`s3://<${defaults.stack.getLogicalId(defaults.stack.lakeBucket.node.defaultChild as never)}>/${table}/`);
    }
    // + the feature state tables (below).
    expect(defaults.tables).toHaveLength(TABLE_NAMES.length + Object.keys(OUTPUT_TABLES).length + STATE_GRAINS.length);
  });

  it('declares one feature state table per grain over runs/<run>/state/<grain>/ with the state catalogue’s columns', () => {
    for (const grain of STATE_GRAINS) {
      const state = defaults.table(stateTableName(grain));
      expect(state.StorageDescriptor.Columns.map((c: { Name: string }) => c.Name)).toEqual(STATE_COLUMNS[grain].map((c) => c.name));
      expect(state.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe(SERDE.parquet);
      expect(flat(state.Parameters['storage.location.template'])).toMatch(new RegExp(`/runs/\\$\\{run\\}/state/${grain}/$`));
    }
    expect(defaults.table(stateTableName('orders')).StorageDescriptor.Columns.find((c: { Name: string }) => c.Name === 'purchase_days')?.Type).toBe('array<date>');
  });

  it('projects the dt partition of orders and events as dates up to today, with the folder layout as template', () => {
    for (const table of ['orders', 'events']) {
      const input = defaults.table(table);
      expect(input.PartitionKeys).toEqual([expect.objectContaining({ Name: 'dt', Type: 'string' })]);
      expect(input.Parameters).toMatchObject({
        'projection.enabled': 'true',
        'projection.dt.type': 'date',
        'projection.dt.format': 'yyyy-MM-dd',
        'projection.dt.range': '2000-01-01,NOW',
      });
      expect(flat(input.Parameters['storage.location.template'])).toMatch(new RegExp(`^s3://<LakeBucket\\w+>/${table}/dt=\\$\\{dt\\}/$`));
    }
  });

  it('leaves customers unpartitioned by default', () => {
    const input = defaults.table('customers');
    expect(input.PartitionKeys).toBeUndefined();
    expect(Object.keys(input.Parameters).filter((key) => key.startsWith('projection.') || key.startsWith('storage.'))).toEqual([]);
  });

  it('reads CSV with OpenCSVSerde, skipping the header row, and all-string columns', () => {
    const input = mixed.table('customers');
    expect(input.StorageDescriptor.SerdeInfo).toEqual({ SerializationLibrary: SERDE.csv, Parameters: { separatorChar: ',', quoteChar: '"' } });
    expect(input.Parameters['skip.header.line.count']).toBe('1');
    expect(input.StorageDescriptor.Columns).toEqual(columnsOf('customers', 'csv'));
    expect(input.StorageDescriptor.Columns.every((c) => c.Type === 'string')).toBe(true);
  });

  it('reads JSON Lines with the OpenX SerDe, tolerating malformed lines', () => {
    const input = mixed.table('events');
    expect(input.StorageDescriptor.SerdeInfo).toEqual({ SerializationLibrary: SERDE.jsonl, Parameters: { 'ignore.malformed.json': 'true' } });
    expect(input.StorageDescriptor.Columns).toEqual(columnsOf('events', 'jsonl'));
    expect(input.Parameters['skip.header.line.count']).toBeUndefined();
  });

  it('follows lakePrefix, an imported lake bucket and lakePartitionedTables', () => {
    expect(flat(mixed.table('orders').StorageDescriptor.Location)).toBe('s3://acme-lake/exports/shop/orders/');
    expect(mixed.table('orders').Parameters['storage.location.template']).toBe('s3://acme-lake/exports/shop/orders/dt=${dt}/');
    expect(mixed.table('events').PartitionKeys).toBeUndefined();
    expect(mixed.table('orders').StorageDescriptor.SerdeInfo.SerializationLibrary).toBe(SERDE.parquet);
  });

  it('accepts lakeFormats as a JSON object and lakePartitionedTables as a list or none', () => {
    const { table } = synth({ lakeFormats: { orders: 'csv' }, lakePartitionedTables: 'none' });
    expect(table('orders').StorageDescriptor.SerdeInfo.SerializationLibrary).toBe(SERDE.csv);
    expect(table('customers').StorageDescriptor.SerdeInfo.SerializationLibrary).toBe(SERDE.parquet);
    expect(TABLE_NAMES.map((name) => table(name).PartitionKeys)).toEqual([undefined, undefined, undefined]);
  });

  it('rejects unknown tables and formats with the key and the allowed values', () => {
    expect(() => synth({ lakeFormats: 'orders=avro' })).toThrow("context lakeFormats: unknown format 'avro' for orders (formats: csv, jsonl, parquet)");
    expect(() => synth({ lakeFormats: 'invoices=csv' })).toThrow("context lakeFormats: unknown table 'invoices'");
    expect(() => synth({ lakeFormats: 'orders' })).toThrow("context lakeFormats: 'orders' is not name=value");
    expect(() => synth({ lakePartitionedTables: 'orders,sessions' })).toThrow("context lakePartitionedTables: unknown table 'sessions'");
    expect(() => synth({ lakePrefix: 'a/../b/' })).toThrow(/context lakePrefix/);
    expect(() => synth({ lakePrefix: 'data/*/' })).toThrow(/context lakePrefix/);
  });
});

describe('result tables', () => {
  it('declares every output table with the contract’s columns, types and comments, and its format', () => {
    for (const output of Object.values(OUTPUT_TABLES)) {
      const input = defaults.table(output.name);
      expect(input.StorageDescriptor.Columns).toEqual(
        output.columns.map((c) => ({ Name: c.name, Type: c.type, ...('comment' in c ? { Comment: c.comment } : {}) })),
      );
      expect(input.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe(SERDE[output.format]);
      expect(input.Parameters.has_encrypted_data).toBe(false);
    }
  });

  it('partitions by run, projected as injected, so a query must name the run — and says so in the table comment', () => {
    for (const output of Object.values(OUTPUT_TABLES)) {
      const input = defaults.table(output.name);
      expect(input.PartitionKeys).toEqual([expect.objectContaining({ Name: RUN_PARTITION_KEY, Type: 'string' })]);
      expect(input.Parameters).toMatchObject({ 'projection.enabled': 'true', [`projection.${RUN_PARTITION_KEY}.type`]: 'injected' });
      expect(flat(input.Parameters['storage.location.template'])).toMatch(
        new RegExp(`^s3://<ResultsBucket\\w+>/runs/\\$\\{${RUN_PARTITION_KEY}\\}/${output.format === 'jsonl' ? 'tables/' : ''}${output.name}/$`),
      );
      expect(input.Description).toContain(`must filter on ${RUN_PARTITION_KEY} = '<run_id>'`);
      expect(input.Description).toContain('latest.json');
    }
  });

  it('follows resultsPrefix', () => {
    const input = mixed.table('personas');
    expect(flat(input.StorageDescriptor.Location)).toMatch(/^s3:\/\/<ResultsBucket\w+>\/segments\/runs\/$/);
    expect(flat(input.Parameters['storage.location.template'])).toMatch(/\/segments\/runs\/\$\{run\}\/tables\/personas\/$/);
    expect(input.Description).toContain('segments/latest.json');
  });
});
