import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection, type DuckDBMaterializedResult } from '@duckdb/node-api';
import { TABLE_NAMES, TABLES, type TableName } from '../contracts/lake.ts';
import { OUTPUT_TABLES, outputTableFolder } from '../contracts/output-tables.ts';
import { stateFolder } from '../contracts/state.ts';
import { previousStateRelation, type StateGrain } from '../sql/state.ts';
import { EngineOutOfMemoryError, InputError, QueryFailedError } from '../errors.ts';
import { silentLogger, type Logger } from '../logging.ts';
import { sqlString } from '../sql/literals.ts';
import { PLAIN_RELATIONS, type BuiltRelation, type Relations } from '../sql/relations.ts';
import { LocalObjectStore } from '../stores/local.ts';
import type { ObjectStore } from '../stores/object-store.ts';
import { DUCKDB_COMPAT_MACROS } from './duckdb-compat.ts';
import {
  asTextExpression,
  emptyRawView,
  fileList,
  INVALID_JSON,
  invalidJsonLineNumbers,
  invalidJsonSql,
  jsonFieldAsText,
  jsonLinesSource,
  listTableFiles,
  readCsvHeader,
  rejectedLinesSql,
  UNCLOSED_QUOTE,
  unclosedQuoteLine,
  relativeSourceFile,
  type LakeFile,
} from './duckdb-lake.ts';
import { inWindow, partitionDay, type PartitionWindow } from './partitions.ts';
import type { InputTable, MalformedLines, PreviousRun, QueryEngine, QueryStats, Row, UnloadTarget } from './query-engine.ts';

export interface DuckDbOptions {
  /** The lake folder: one sub-folder per table. */
  readonly lakeDir: string;
  readonly threads?: number;
  /** DuckDB's buffer limit, e.g. '1.5GB'; it spills to tempDir beyond it. */
  readonly memoryLimit?: string;
  readonly tempDir?: string;
  readonly log?: Logger;
}

const MAX_MALFORMED_EXAMPLES = 20;

/** The session the engine runs in; the benchmarks' comparison queries run in the same one. */
export function duckDbSessionSettings(options: Pick<DuckDbOptions, 'threads' | 'memoryLimit' | 'tempDir'>): string[] {
  return [
    // Athena runs every session in UTC; so must we, or timestamps without an offset would shift.
    "SET TimeZone = 'UTC'",
    `SET threads = ${Math.max(1, Math.trunc(options.threads ?? 2))}`,
    'SET preserve_insertion_order = false',
    // Offline by design: never try to download an extension.
    'SET autoinstall_known_extensions = false',
    'SET autoload_known_extensions = false',
    ...(options.memoryLimit ? [`SET memory_limit = ${sqlString(options.memoryLimit)}`] : []),
    // The buffer limit does not bound the process: freed memory stays with the allocator (jemalloc) until it is
    // purged, lazily, and only past 128 MB per thread. Purging in the background, past 16 MB, cut the peak RSS of a
    // million-customer refresh from 2,109 to 1,979 MiB at the same wall time.
    'SET allocator_background_threads = true',
    "SET allocator_flush_threshold = '16MB'",
    ...(options.tempDir ? [`SET temp_directory = ${sqlString(options.tempDir)}`] : []),
  ];
}

export class DuckDbQueryEngine implements QueryEngine {
  readonly name = 'duckdb' as const;
  readonly relations: Relations = PLAIN_RELATIONS;
  readonly #stats: QueryStats[] = [];
  readonly #diagnostics = new Map<TableName, string[]>();
  #closed = false;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly options: DuckDbOptions,
    private readonly log: Logger,
  ) {}

  static async open(options: DuckDbOptions): Promise<DuckDbQueryEngine> {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const engine = new DuckDbQueryEngine(instance, connection, options, options.log ?? silentLogger);
    if (options.tempDir) await mkdir(options.tempDir, { recursive: true });
    for (const statement of [...duckDbSessionSettings(options), ...DUCKDB_COMPAT_MACROS]) await connection.run(statement);
    return engine;
  }

  get stats(): readonly QueryStats[] {
    return this.#stats;
  }

  async prepareInputs(window?: PartitionWindow): Promise<Record<TableName, InputTable>> {
    const result = {} as Record<TableName, InputTable>;
    for (const table of TABLE_NAMES) result[table] = await this.#prepareTable(table, window);
    return result;
  }

  async #prepareTable(table: TableName, window: PartitionWindow | undefined): Promise<InputTable> {
    const listed = await listTableFiles(this.options.lakeDir, table);
    const files = listed?.filter((f) => inWindow(f.relative, window));
    const prunedFiles = (listed?.length ?? 0) - (files?.length ?? 0);
    const partitioned = (listed ?? []).every((f) => partitionDay(f.relative) !== null);
    const view = this.relations[`raw_${table}`];
    // Every pruned: the window holds no new day yet, which reads as an empty (present) table.
    if (listed && listed.length > 0 && files?.length === 0) {
      await this.connection.run(`CREATE OR REPLACE TEMP VIEW ${view} AS ${emptyRawView(table)}`);
      this.#diagnostics.set(table, []);
      return { table, present: true, files: 0, bytes: 0, formats: [], partitioned, prunedFiles };
    }
    if (!files || files.length === 0) {
      if (files && TABLES[table].required) {
        // The folder is there but holds only empty (0-byte) files: an empty input, not a missing table. It reads
        // as zero rows, and the quality gate refuses to publish (exit 4) naming the empty table.
        await this.connection.run(`CREATE OR REPLACE TEMP VIEW ${view} AS ${emptyRawView(table)}`);
        this.#diagnostics.set(table, []);
        return { table, present: true, files: 0, bytes: 0, formats: [], partitioned, prunedFiles };
      }
      if (TABLES[table].required) {
        throw new InputError(
          `the lake ${this.options.lakeDir} has no ${table}/ data: the ${table} table is required (CSV, JSON Lines or Parquet files under ${table}/)`,
          { table, lake: this.options.lakeDir },
        );
      }
      await this.connection.run(`CREATE OR REPLACE TEMP VIEW ${view} AS ${emptyRawView(table)}`);
      this.#diagnostics.set(table, []);
      return { table, present: false, files: 0, bytes: 0, formats: [], partitioned, prunedFiles };
    }

    const selects: string[] = [];
    const diagnostics: string[] = [];
    const byFormat = new Map<string, LakeFile[]>();
    for (const file of files) byFormat.set(file.format, [...(byFormat.get(file.format) ?? []), file]);

    const csvFiles = byFormat.get('csv') ?? [];
    // store_rejects cannot be combined with union_by_name, so files are grouped by header instead.
    const byHeader = new Map<string, LakeFile[]>();
    for (const file of csvFiles) {
      const header = await readCsvHeader(file.path);
      byHeader.set(header, [...(byHeader.get(header) ?? []), file]);
    }
    let group = 0;
    for (const groupFiles of byHeader.values()) {
      const rejects = `rejects_${table}_${group}`;
      // Quote and escape are fixed to RFC 4180: left to the sniffer, a sample without quotes makes it choose
      // none, and a later "12,50 EUR" splits into two columns.
      const csv = (list: string) =>
        `read_csv(${list}, header = true, all_varchar = true, quote = '"', escape = '"', filename = true, hive_partitioning = false, store_rejects = true, ignore_errors = true, rejects_table = '${rejects}', rejects_scan = '${rejects}_scan')`;
      const relation = `csv_${table}_${group++}`;
      try {
        await this.#run(`load ${table}`, `CREATE OR REPLACE TEMP VIEW ${relation} AS SELECT * FROM ${csv(fileList(groupFiles))}`);
      } catch (error) {
        throw (await this.#unreadable(table, 'CSV', groupFiles, (file) => csv(sqlString(file.path)))) ?? error;
      }
      selects.push(await this.#contractSelect(table, relation, groupFiles));
      // DuckDB fills the rejects table while the staging statement scans the files: read it afterwards, so the
      // files are not parsed a second time just to find their bad lines.
      diagnostics.push(rejectedLinesSql(rejects));
      const unclosed: string[] = [];
      for (const file of groupFiles) {
        const line = await unclosedQuoteLine(file);
        if (line !== null) unclosed.push(`(${sqlString(file.path)}, ${line}, ${sqlString(UNCLOSED_QUOTE)})`);
      }
      if (unclosed.length > 0) {
        diagnostics.push(
          `SELECT u.file, u.line, u.error FROM (VALUES ${unclosed.join(', ')}) AS u(file, line, error) WHERE NOT EXISTS (SELECT 1 FROM (${rejectedLinesSql(rejects)}) AS r WHERE r.file = u.file AND r.line = u.line)`,
        );
      }
    }

    const jsonFiles = byFormat.get('jsonl') ?? [];
    if (jsonFiles.length > 0) {
      const relation = `jsonl_${table}`;
      const rejects = `rejects_${table}_json`;
      await this.#run(`load ${table}`, `CREATE OR REPLACE TEMP VIEW ${relation}_lines AS SELECT line, filename FROM ${jsonLinesSource(jsonFiles, rejects)} WHERE trim(line) <> ''`);
      const columns = TABLES[table].columns.map((c) => `${jsonFieldAsText(c.name, c.list ?? false)} AS "${c.name}"`);
      await this.#run(
        `load ${table}`,
        `CREATE OR REPLACE TEMP VIEW ${relation} AS SELECT ${columns.join(', ')}, filename FROM ${relation}_lines WHERE json_valid(line)`,
      );
      // Unlike CSV rejects, invalid JSON lines are filtered out of the view, so finding them is a second (cheap,
      // json_valid only) pass over the lines.
      diagnostics.push(
        `SELECT filename AS file, CAST(NULL AS BIGINT) AS line, ${invalidJsonSql('line')} AS error FROM ${relation}_lines WHERE NOT json_valid(line)`,
        // Lines the text reader itself rejected (not UTF-8), with their line number.
        rejectedLinesSql(rejects),
      );
      selects.push(await this.#contractSelect(table, relation, jsonFiles));
    }

    const parquetFiles = byFormat.get('parquet') ?? [];
    if (parquetFiles.length > 0) {
      const relation = `parquet_${table}`;
      try {
        await this.#run(
          `load ${table}`,
          `CREATE OR REPLACE TEMP VIEW ${relation} AS SELECT * FROM read_parquet(${fileList(parquetFiles)}, union_by_name = true, filename = true, hive_partitioning = false)`,
        );
      } catch (error) {
        throw (await this.#unreadable(table, 'Parquet', parquetFiles, (file) => `read_parquet(${sqlString(file.path)})`)) ?? error;
      }
      selects.push(await this.#contractSelect(table, relation, parquetFiles));
    }

    await this.#run(`load ${table}`, `CREATE OR REPLACE TEMP VIEW ${view} AS ${selects.join('\nUNION ALL\n')}`);
    this.#diagnostics.set(table, diagnostics);
    return {
      table,
      present: true,
      files: files.length,
      bytes: files.reduce((sum, f) => sum + f.bytes, 0),
      formats: [...byFormat.keys()].sort(),
      partitioned,
      prunedFiles,
    };
  }

  async malformedLines(table: TableName): Promise<MalformedLines> {
    const queries = this.#diagnostics.get(table) ?? [];
    if (queries.length === 0) return { count: 0, examples: [] };
    const all = queries.join('\nUNION ALL\n');
    const rows = await this.query(
      `malformed ${table}`,
      `SELECT file, line, error, count(*) OVER () AS total FROM (${all}) AS m ORDER BY file, line NULLS LAST LIMIT ${MAX_MALFORMED_EXAMPLES}`,
    );
    const examples = rows.map((r) => ({ path: String(r.file), line: r.line === null ? undefined : Number(r.line), error: String(r.error) }));
    const unnumbered = new Map<string, typeof examples>();
    for (const e of examples) if (e.line === undefined && e.error.startsWith(INVALID_JSON)) unnumbered.set(e.path, [...(unnumbered.get(e.path) ?? []), e]);
    for (const [file, reports] of unnumbered) {
      const numbers = await invalidJsonLineNumbers(file, reports.map((r) => r.error));
      reports.forEach((report, i) => (report.line = numbers[i]));
    }
    return {
      count: rows.length > 0 ? Number(rows[0]?.total) : 0,
      examples: examples.map((e) => ({ file: this.#relative(e.path), ...(e.line === undefined ? {} : { line: e.line }), error: e.error })),
    };
  }

  /**
   * Which of a table's files DuckDB cannot open (a truncated Parquet file, binary bytes in a .csv), as one input
   * error that names them; null when each opens on its own, so the caller's error stands. Only asked after the
   * files failed to load together, so a good lake never pays for opening its files one by one.
   */
  async #unreadable(table: TableName, format: string, files: readonly LakeFile[], source: (file: LakeFile) => string): Promise<InputError | null> {
    const bad: { file: string; error: string }[] = [];
    for (const file of files) {
      try {
        await this.connection.run(`DESCRIBE SELECT * FROM ${source(file)}`);
      } catch (error) {
        bad.push({ file: file.relative, error: (error as Error).message.split('\n')[0] ?? '' });
      }
    }
    const [first] = bad;
    if (!first) return null;
    const more = bad.length > 1 ? ` (and ${bad.length - 1} more: ${bad.slice(1, 6).map((b) => b.file).join(', ')}${bad.length > 6 ? ', …' : ''})` : '';
    return new InputError(`${first.file}${more}: not a readable ${format} file (${first.error}); replace or remove it`, {
      table,
      files: bad.map((b) => b.file),
    });
  }

  /** SELECT of the contract's columns from one source; a required column absent from every file is an error. */
  async #contractSelect(table: TableName, relation: string, files: readonly LakeFile[]): Promise<string> {
    const described = await this.query(`load ${table}`, `DESCRIBE ${relation}`);
    const types = new Map(described.map((r) => [String(r.column_name).toLowerCase(), { name: String(r.column_name), type: String(r.column_type) }]));
    const columns = TABLES[table].columns.map((column) => {
      const found = types.get(column.name);
      if (!found) {
        if (column.required) {
          // JSON.stringify shows control bytes (binary in a .csv) as escapes instead of printing them.
          const header = [...types.keys()].filter((n) => n !== 'filename').map((n) => (/^[\w -]*$/.test(n) ? n : JSON.stringify(n))).join(', ');
          throw new InputError(
            `${files[0]?.relative ?? table}${files.length > 1 ? ` (and ${files.length - 1} more ${table} files)` : ''}: required column "${column.name}" is missing (found: ${header})`,
            { table, file: files[0]?.relative, column: column.name },
          );
        }
        return `CAST(NULL AS VARCHAR) AS ${column.name}`;
      }
      return `${asTextExpression(found.name, found.type)} AS ${column.name}`;
    });
    return `SELECT ${columns.join(', ')}, ${relativeSourceFile(this.options.lakeDir)} AS source_file FROM ${relation}`;
  }

  #relative(file: string): string {
    const root = `${path.resolve(this.options.lakeDir)}${path.sep}`;
    return file.startsWith(root) ? file.slice(root.length) : file;
  }

  /** The previous run's customer_segments as a session table, or an empty one with the same columns. */
  async attachPreviousRun(previous: PreviousRun | null): Promise<boolean> {
    const table = this.relations.previous_segments;
    const columns = ['customer_id', 'rfm_segment', 'lifecycle_stage'];
    const folder = previous ? `${previous.prefix}${outputTableFolder(OUTPUT_TABLES.customer_segments)}` : '';
    const select = `SELECT ${columns.map((c) => `CAST(${c} AS VARCHAR) AS ${c}`).join(', ')}`;
    if (previous && (await this.#loadParquet('attach previous run', table, previous.store, folder, select))) return true;
    await this.#run('attach previous run', `CREATE OR REPLACE TEMP TABLE ${table} AS ${select} FROM (SELECT ${columns.map((c) => `CAST(NULL AS VARCHAR) AS ${c}`).join(', ')}) WHERE false`);
    return false;
  }

  async attachPreviousState(previous: PreviousRun, grains: readonly StateGrain[]): Promise<boolean> {
    for (const grain of grains) {
      const table = this.relations[previousStateRelation(grain)];
      if (!(await this.#loadParquet('attach previous state', table, previous.store, `${previous.prefix}${stateFolder(grain)}`, 'SELECT *'))) return false;
    }
    return true;
  }

  /**
   * A store folder's Parquet files as a session table (`<select> FROM` the files); false when there are none. A
   * local store's files are read where they are; from any other store (S3) they are downloaded to a scratch folder
   * first (no httpfs: the job runs offline), loaded, and removed.
   */
  async #loadParquet(step: string, table: string, store: ObjectStore, folder: string, select: string): Promise<boolean> {
    const parts = (await store.list(folder)).filter((o) => o.key.endsWith('.parquet'));
    if (parts.length === 0) return false;
    const local = store instanceof LocalObjectStore;
    const scratch = local ? undefined : await mkdtemp(path.join(this.options.tempDir ?? os.tmpdir(), 'previous-run-'));
    try {
      const files: string[] = [];
      for (const [i, part] of parts.entries()) {
        if (!scratch) {
          files.push(store.location(part.key));
          continue;
        }
        const bytes = await store.get(part.key);
        if (bytes === undefined) throw new QueryFailedError(`${store.description}/${part.key} vanished while it was read`, { step, key: part.key });
        const file = path.join(scratch, `part-${i}.parquet`);
        await writeFile(file, bytes);
        files.push(file);
      }
      await this.#run(step, `CREATE OR REPLACE TEMP TABLE ${table} AS ${select} FROM read_parquet([${files.map(sqlString).join(', ')}], union_by_name = true, hive_partitioning = false)`);
      return true;
    } finally {
      if (scratch) await rm(scratch, { recursive: true, force: true });
    }
  }

  async query(step: string, sql: string): Promise<Row[]> {
    const result = await this.#run(step, sql);
    return toRows(result);
  }

  async materialize(step: string, name: BuiltRelation, sql: string): Promise<void> {
    await this.#run(step, `CREATE OR REPLACE TEMP TABLE ${this.relations[name]} AS ${sql}`);
  }

  async release(names: readonly BuiltRelation[]): Promise<void> {
    for (const name of names) await this.#run('release', `DROP TABLE IF EXISTS ${this.relations[name]}`);
  }

  async unload(step: string, sql: string, target: UnloadTarget): Promise<void> {
    const existing = await target.store.list(target.prefix);
    if (existing.length > 0) {
      throw new QueryFailedError(`unload target ${target.store.description}/${target.prefix} is not empty`, { step, prefix: target.prefix });
    }
    // DuckDB writes a local file that is then put into the store: without httpfs (not bundled, and the job runs
    // offline) it cannot write to S3 itself, and for a local store the copy costs well under a second at 1 M rows.
    const scratch = await mkdtemp(path.join(this.options.tempDir ?? os.tmpdir(), 'unload-'));
    try {
      const file = path.join(scratch, 'part-00000.parquet');
      await this.#run(step, `COPY (${sql}) TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)`);
      await target.store.put(`${target.prefix}part-00000.parquet`, await readFile(file), 'application/vnd.apache.parquet');
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  async #run(step: string, sql: string): Promise<DuckDBMaterializedResult> {
    if (this.#closed) throw new QueryFailedError('the DuckDB engine is closed', { step });
    const started = performance.now();
    try {
      const result = await this.connection.run(sql);
      const materialized = result as DuckDBMaterializedResult;
      const wallMs = performance.now() - started;
      this.#stats.push({ step, wallMs, engineMs: wallMs });
      this.log.log('debug', 'query finished', { step, ms: Math.round(wallMs) });
      return materialized;
    } catch (error) {
      const reason = (error as Error).message.split('\n')[0] ?? '';
      if (reason.startsWith('Out of Memory Error')) {
        const limit = this.options.memoryLimit;
        throw new EngineOutOfMemoryError(`DuckDB ran out of memory in step "${step}"${limit ? ` with a ${limit} buffer` : ''}: ${reason}`, { step, memory_limit: limit ?? null }, { cause: error });
      }
      throw new QueryFailedError(`query failed in step "${step}": ${reason}`, { step, sql }, { cause: error });
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

/** DuckDB values as the port promises them: JSON values, integers as numbers, timestamps as ISO-8601 UTC. */
async function toRows(result: DuckDBMaterializedResult): Promise<Row[]> {
  const reader = result;
  const names = reader.columnNames();
  const types = reader.columnTypes().map((t) => t.toString());
  const rows = await reader.getRowObjectsJson();
  return rows.map((row) => {
    const out: Row = {};
    names.forEach((name, i) => {
      out[name] = normalize(row[name], types[i] ?? '');
    });
    return out;
  });
}

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|DECIMAL|FLOAT|DOUBLE)/;

function normalize(value: unknown, type: string): unknown {
  if (value === null || value === undefined) return null;
  if (type.endsWith('[]') && Array.isArray(value)) return value.map((v) => normalize(v, type.slice(0, -2)));
  if (NUMERIC.test(type)) return typeof value === 'number' ? value : Number(value);
  if (type.startsWith('TIMESTAMP') && typeof value === 'string') {
    const iso = value.includes('T') ? value : value.replace(' ', 'T');
    return new Date(/[zZ]|[+-]\d{2}(:?\d{2})?$/.test(iso) ? iso : `${iso}Z`).toISOString();
  }
  return value;
}
