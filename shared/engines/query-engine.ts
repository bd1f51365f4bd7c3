import type { TableName } from '../contracts/lake.ts';
import type { BuiltRelation, Relations } from '../sql/relations.ts';
import type { StateGrain } from '../sql/state.ts';
import type { ObjectStore } from '../stores/object-store.ts';
import type { PartitionWindow } from './partitions.ts';

/**
 * The query-engine port. The pipeline hands it SQL in Athena's (Trino) dialect; adapters run it on Athena or on
 * embedded DuckDB. Results come back as plain JSON values: numbers, strings, booleans, null, arrays; DATE as
 * 'YYYY-MM-DD', TIMESTAMP as ISO-8601 UTC — which is also what Athena's string results parse to.
 */
export type Row = Record<string, unknown>;

export interface QueryStats {
  readonly step: string;
  readonly queryId?: string;
  readonly wallMs: number;
  /** Engine-reported execution time where the engine reports it (Athena), else the wall time. */
  readonly engineMs: number;
  readonly bytesScanned?: number;
  readonly rows?: number;
}

export interface InputTable {
  readonly table: TableName;
  readonly present: boolean;
  readonly files: number;
  readonly bytes: number;
  readonly formats: readonly string[];
  /**
   * Every file of the table is in a `dt=` day folder, so a partition window selects exactly the new rows. On Athena
   * the Glue table must also declare the dt partition (lakePartitionedTables); an undeclared table is never pruned.
   */
  readonly partitioned: boolean;
  /** Files left out by the partition window (days after the as-of date, or already in the previous state). */
  readonly prunedFiles: number;
}

/** Lines the reader could not parse at all (wrong column count, invalid JSON), with where they are. */
export interface MalformedLines {
  readonly count: number;
  readonly examples: readonly { file: string; line?: number; error: string }[];
}

export interface UnloadTarget {
  readonly store: ObjectStore;
  /** A key prefix ending in '/', e.g. `runs/<run_id>/customer_segments/`. */
  readonly prefix: string;
}

/** A complete, published run whose customer_segments the next run compares itself with (migration.json). */
export interface PreviousRun {
  /** The results store the run was published to. */
  readonly store: ObjectStore;
  /** The run's key prefix, e.g. `runs/<run_id>/` (latest.json's `prefix`). */
  readonly prefix: string;
  readonly runId: string;
}

export interface QueryEngine {
  readonly name: 'duckdb' | 'athena';
  readonly relations: Relations;
  /**
   * Checks the input tables and makes `raw_*` relations ready, reading only the day partitions in the window;
   * throws InputError when the lake is unusable. Called again with another window, it replaces the relations.
   */
  prepareInputs(window?: PartitionWindow): Promise<Record<TableName, InputTable>>;
  /** Malformed lines of a table, known once the table's staging statement has scanned it. */
  malformedLines(table: TableName): Promise<MalformedLines>;
  /**
   * Makes relation `previous_segments` (customer_id, rfm_segment, lifecycle_stage) the customer_segments the previous
   * run published; with no previous run, or one without customer_segments files, an empty relation with those
   * columns. True when a previous run was attached.
   */
  attachPreviousRun(previous: PreviousRun | null): Promise<boolean>;
  /**
   * Makes relations `previous_state_<grain>` the feature state the previous run kept (stateFolder(grain) under its
   * prefix), for the given grains only: the others are not read at all. False, leaving them undefined, when a grain
   * has no files: the run must then be a full one.
   */
  attachPreviousState(previous: PreviousRun, grains: readonly StateGrain[]): Promise<boolean>;
  /** Runs a statement with a small result and returns its rows. */
  query(step: string, sql: string): Promise<Row[]>;
  /** Builds a run-scoped relation from a SELECT, visible to later statements under `relations[name]`. */
  materialize(step: string, name: BuiltRelation, sql: string): Promise<void>;
  /**
   * Writes a SELECT's result as Parquet files under `target.prefix` of the store, without passing the rows through
   * the process where the engine can write there itself (Athena's UNLOAD). The prefix must be empty; a failed
   * unload leaves it empty again, so a retry can write it.
   */
  unload(step: string, sql: string, target: UnloadTarget): Promise<void>;
  /**
   * Frees built relations no later statement reads, where holding them costs memory (DuckDB's session tables);
   * engines whose tables live in storage keep them until the run is disposed.
   */
  release?(names: readonly BuiltRelation[]): Promise<void>;
  readonly stats: readonly QueryStats[];
  close(): Promise<void>;
}
