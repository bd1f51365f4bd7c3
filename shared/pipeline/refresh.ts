import { createHash, randomBytes } from 'node:crypto';
import { configHash, type SegmentsConfig } from '../contracts/config.ts';
import { OUTPUT_TABLES, migrationRows, outputTableFolder, personaRows, segmentSummaryRows, toJsonLines } from '../contracts/output-tables.ts';
import { readableIssues } from '../contracts/issues.ts';
import { REJECT_REASONS, TABLE_NAMES, type RejectReason, type TableName } from '../contracts/lake.ts';
import {
  HistoryDocument,
  LatestPointer,
  ManifestDocument,
  MigrationDocument,
  OUTPUT_SCHEMA_VERSION,
  PersonasDocument,
  QualityDocument,
  SegmentsDocument,
  type Provenance,
  type RfmSummary,
  type TableQuality,
} from '../contracts/outputs.ts';
import type { InputTable, MalformedLines, QueryEngine, Row } from '../engines/query-engine.ts';
import type { PartitionWindow } from '../engines/partitions.ts';
import { stateFolder, STATE_MANIFEST, STATE_VERSION, StateManifest, stateConfigHash } from '../contracts/state.ts';
import { STATE_GRAINS, STATE_SOURCE, keptStateGrains, stateOutputSql, stateRelation, stateSql, type StateGrain } from '../sql/state.ts';
import { chooseRefreshMode, type RefreshMode } from './refresh-mode.ts';
import { runDiscovery, discoverySummary } from '../discovery/discover.ts';
import { ConfigError, PublishError, QualityGateError, describeError } from '../errors.ts';
import type { Logger } from '../logging.ts';
import { buildPersonas } from '../personas/build-personas.ts';
import { personaFiles } from '../personas/files.ts';
import { discoveredSegmentRefs, indexDistributions, round, summarizeSegments } from '../segments/summarize.ts';
import { customerFeaturesSql, customerPreferencesSql } from '../sql/features.ts';
import { isValidIsoDate } from '../sql/literals.ts';
import { migrationSql } from '../sql/migration.ts';
import { buyerCountSql, coverageSql, customerSegmentsOutputSql, customerSegmentsSql, cutPointsSql } from '../sql/segments.ts';
import { rejectField, STAGE_SQL } from '../sql/staging.ts';
import { distributionsSql, medianRecencySql, quarantineSql, rejectExamplesSql, segmentSummarySql, tableQualitySql } from '../sql/summaries.ts';
import { getText, putJson, type ObjectStore } from '../stores/object-store.ts';
import { daysBetween, earliest, latest } from '../time.ts';
import { broadSegments, historyDocument, migrationDocument, previousHistory, previousSegments, readPreviousRun, segmentSummaryCsv, segmentSwings, type BroadSegment, type PreviousRunRef, type SegmentSwing } from './run-documents.ts';
import type { z } from 'zod';
import { compareText } from '../compare.ts';

export interface StageEvent {
  stage: string;
  status: 'start' | 'done';
  ms?: number;
  detail?: Record<string, unknown>;
}

export interface RefreshDeps {
  engine: QueryEngine;
  store: ObjectStore;
  clock: () => Date;
  log: Logger;
  toolVersion: string;
  onStage?: (event: StageEvent) => void;
}

export interface RefreshInput {
  asOf: string;
  config: SegmentsConfig;
  /** Chosen by the caller to resume a run; a new one is made otherwise. */
  runId?: string;
  /**
   * Recompute the feature state from every partition even when the previous run's state could be updated; a text
   * says why, for the run's refresh reason (otherwise 'full recompute requested').
   */
  full?: boolean | string;
}

export interface RefreshResult {
  runId: string;
  prefix: string;
  segments: SegmentsDocument;
  personas: PersonasDocument;
  quality: QualityDocument;
  migration: MigrationDocument;
  history: HistoryDocument;
  files: ManifestDocument['files'];
  stages: { stage: string; ms: number }[];
  mode: RefreshMode;
  /** Set when this run is a backfill: the newer run latest.json still points at. */
  newerPublished: PreviousRunRef | null;
}

export const LATEST_KEY = 'latest.json';
export const FAILED_MARKER = '_FAILED.json';
/** Where a run keeps the ids of the queries it started, so a retried invocation resumes them. */
export const QUERY_JOURNAL = '_state/queries.json';

/** Run ids sort by as-of date, then start time; the random tail keeps concurrent runs apart. */
export function newRunId(asOf: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${asOf}_${stamp}_${randomBytes(3).toString('hex')}`;
}

/** The as-of date a run id starts with (every run id this job makes does, scheduled ones too); undefined for others. */
export function runIdAsOf(runId: string): string | undefined {
  return /^(\d{4}-\d{2}-\d{2})_/.exec(runId)?.[1];
}

/**
 * The nightly refresh: stage each input table once, build features and segments, summarise, publish.
 * Everything is written under `runs/<run_id>/`; `latest.json` is written last and only after every gate
 * passed, so readers that follow it never see a partial or failed run.
 */
export async function refreshSegments(deps: RefreshDeps, input: RefreshInput): Promise<RefreshResult> {
  if (!isValidIsoDate(input.asOf)) {
    throw new ConfigError(`as-of date "${input.asOf}" is not a calendar date (YYYY-MM-DD)`, [{ path: 'asOf', message: 'YYYY-MM-DD' }]);
  }
  const { engine, store } = deps;
  const runId = input.runId ?? newRunId(input.asOf, deps.clock());
  const prefix = `runs/${runId}/`;
  const log = deps.log.child({ run_id: runId, as_of: input.asOf });
  const hash = configHash(input.config);
  const stages: { stage: string; ms: number }[] = [];
  const warnings: string[] = [];
  let swings: SegmentSwing[] = [];
  let broad: BroadSegment[] = [];

  const stage = async <T>(name: string, work: () => Promise<T>, detail?: (result: T) => Record<string, unknown>): Promise<T> => {
    deps.onStage?.({ stage: name, status: 'start' });
    const started = performance.now();
    const result = await work();
    const ms = Math.round(performance.now() - started);
    stages.push({ stage: name, ms });
    const extra = detail?.(result) ?? {};
    deps.onStage?.({ stage: name, status: 'done', ms, detail: extra });
    log.log('info', 'stage finished', { stage: name, ms, ...extra });
    return result;
  };

  let provenance: Provenance = {
    schema_version: OUTPUT_SCHEMA_VERSION,
    run_id: runId,
    as_of: input.asOf,
    generated_at: deps.clock().toISOString(),
    data_from: null,
    data_to: null,
    config_hash: hash,
    engine: engine.name,
    tool_version: deps.toolVersion,
  };

  try {
    log.log('info', 'refresh started', { config_hash: hash, engine: engine.name, store: store.description });
    // A resumed run starts over its publishing; an earlier attempt's failure marker no longer describes it.
    await store.delete(`${prefix}${FAILED_MARKER}`);
    // The complete run this one is compared with (migration.json) and continues (history.json): the one latest.json
    // points at now, before this run publishes. A resumed run that already published is not its own predecessor.
    const latestBefore = await readPreviousRun(store, LATEST_KEY, log);
    // A backfill (as of a day before the published run's) is written beside it, continues and compares with
    // nothing, and leaves latest.json alone: readers of latest.json would otherwise be handed older data as the newest.
    const newerPublished = latestBefore && latestBefore.asOf > input.asOf ? latestBefore : null;
    const previousRun = latestBefore && latestBefore.runId !== runId && !newerPublished ? latestBefore : null;
    const { mode, inputs, previousState, mergedGrains } = await stage('read inputs', async () => {
      const chosen = await chooseMode(deps, input, previousRun, log);
      const full: PartitionWindow = { through: input.asOf };
      const fullRun = async (fallback?: RefreshMode) => ({
        mode: fallback ?? chosen,
        inputs: await engine.prepareInputs(full),
        previousState: null,
        mergedGrains: [] as StateGrain[],
      });
      if (chosen.mode === 'full') return fullRun();
      const tables = await engine.prepareInputs({ through: input.asOf, after: chosen.after });
      // New rows can only be told from old ones by their day folder.
      const unpartitioned = (['orders', 'events'] as const).filter((t) => tables[t].present && !tables[t].partitioned);
      if (unpartitioned.length > 0) {
        // On Athena a table in dt= folders lands here too when the stack did not declare its dt partition.
        return fullRun({
          mode: 'full',
          reason: `${unpartitioned.join(' and ')} ${unpartitioned.length > 1 ? 'are' : 'is'} not partitioned by day (files outside dt=YYYY-MM-DD folders, or on Athena not in lakePartitionedTables)`,
        });
      }
      const mergedGrains = keptStateGrains(tables.customers.partitioned);
      const previousRef = { store, prefix: previousRun!.prefix, runId: previousRun!.runId };
      // The profiles first: a run that kept none goes full before the other grains are loaded for nothing.
      if (mergedGrains.includes('profiles') && !(await engine.attachPreviousState(previousRef, ['profiles']))) {
        return fullRun({
          mode: 'full',
          reason: `run ${previousRef.runId} kept no profiles state (its customers table was not partitioned by day; now it is)`,
        });
      }
      if (!(await engine.attachPreviousState(previousRef, mergedGrains.filter((grain) => grain !== 'profiles')))) {
        return fullRun({ mode: 'full', reason: `run ${previousRef.runId} has a state manifest but no state files` });
      }
      return { mode: chosen, inputs: tables, previousState: chosen.previous, mergedGrains };
    }, (r) => ({
      mode: r.mode.mode,
      reason: r.mode.reason,
      tables: Object.values(r.inputs).filter((t) => t.present).map(describeInput).join(', '),
    }));
    const incremental = mode.mode === 'incremental';

    // Engines name the raw relations only once they have looked at the inputs (Athena: which tables exist).
    const rel = engine.relations;
    const staged: Partial<Record<TableName, TableQuality>> = {};
    // Each table's state is built right after its staging, and its staged rows released: the staged order lines
    // (three grains) are not held while the next table is aggregated. Events go first: their wide per-customer
    // aggregate is the stage that slows down most when the buffer is shared.
    for (const table of ['events', 'customers', 'orders'] as const satisfies readonly TableName[]) {
      staged[table] = await stage(`stage ${table}`, async () => {
        await engine.materialize(`stage ${table}`, `stg_${table}`, STAGE_SQL[table](rel, { asOf: input.asOf, config: input.config }));
        const malformed = await engine.malformedLines(table);
        return tableQuality(engine, store, inputs[table], malformed, table, prefix);
      }, (q) => ({ read: q.rows_read, accepted: q.rows_accepted, rejected: q.rows_rejected }));
      await stage(`state ${table}${incremental ? ' (merge)' : ''}`, async () => {
        for (const grain of STATE_GRAINS.filter((g) => STATE_SOURCE[g] === table)) {
          await engine.materialize(`state ${grain}`, stateRelation(grain), stateSql(rel, grain, input.asOf, mergedGrains.includes(grain)));
        }
        await engine.release?.([`stg_${table}`]);
      });
    }
    const tables = Object.fromEntries(TABLE_NAMES.map((t) => [t, staged[t]])) as Partial<Record<TableName, TableQuality>>;

    // An incremental run's own rows are only the new days: the data range, and freshness, include the state's.
    const newest = newestPerTable(tables, previousState);
    const maxTs = latest(newest.orders, newest.events, previousState?.data_to);
    const dataFrom = earliest(tables.orders?.present ? tables.orders.min_ts : null, tables.events?.present ? tables.events.min_ts : null, previousState?.data_from);
    provenance = { ...provenance, data_from: dataFrom, data_to: maxTs };

    const failures: string[] = [];
    for (const [table, q] of Object.entries(tables)) {
      if (q.present && q.rejected_share > input.config.quality.maxRejectedShare) {
        failures.push(
          `${table}: ${round(q.rejected_share * 100, 1)}% of rows were quarantined (limit ${input.config.quality.maxRejectedShare * 100}%); see ${q.quarantine ?? 'quality.json'}`,
        );
      }
      for (const m of q.examples.filter((e) => e.reason === 'malformed_line').slice(0, 3)) {
        warnings.push(`${m.file}${m.line ? `:${m.line}` : ''}: malformed ${table} line quarantined (${m.values})`);
      }
    }
    if (incremental) {
      // The state still holds every earlier order; a day without orders is news, not a reason to stop. (A day
      // without any data at all fails the freshness gate below.)
      if ((tables.orders?.rows_accepted ?? 0) === 0) warnings.push(`orders: no new accepted rows after ${previousState?.through}`);
    } else if (tables.orders?.present && tables.orders.rows_read === 0) {
      // Every file in a day partition after the as-of date is usually a mistyped --as-of, not an empty feed: say so.
      const pruned = inputs.orders.prunedFiles;
      const later = pruned > 0 ? `; ${pruned} file(s) in day partitions after the as-of date ${input.asOf} were left out` : '';
      failures.push(`orders: the input is empty (0 rows in ${tables.orders.files} non-empty file(s) under orders/${later}), nothing to segment`);
    } else if ((tables.orders?.rows_accepted ?? 0) === 0) failures.push('orders: no accepted rows, nothing to segment');
    const freshness = freshnessOf(maxTs, input.asOf, input.config.freshness, newest);
    for (const [table, f] of Object.entries(freshness.tables)) {
      // A table is named only when it is staler than the data as a whole, which has its own message below.
      if (STALENESS[f.status] <= STALENESS[freshness.status]) continue;
      if (f.status === 'stale') {
        failures.push(`${table}: newest accepted row ${f.newest_data} is ${f.age_days} days before the as-of date (limit ${input.config.freshness.failAfterDays}): segments would be built on stale ${table}`);
      } else warnings.push(`${table}: newest accepted row is ${f.age_days} days before the as-of date`);
    }
    if (freshness.status === 'stale') {
      failures.push(
        maxTs === null
          ? 'data is stale: no table has an accepted row, so nothing shows the data is current'
          : `data is stale: newest accepted row ${maxTs} is ${freshness.age_days} days before the as-of date (limit ${input.config.freshness.failAfterDays})`,
      );
    } else if (freshness.status === 'stale_warning') {
      warnings.push(`newest accepted row is ${freshness.age_days} days before the as-of date`);
    }

    const emptyRfm: QualityDocument['rfm'] = { status: 'insufficient_data', bins: 1, buyers: 0 };
    const emptyCoverage = { customers: 0, with_rfm_segment: 0, with_lifecycle_stage: 0, share: 0 };
    const qualityDoc = (status: 'passed' | 'failed', coverage = emptyCoverage, rfm = emptyRfm): QualityDocument =>
      QualityDocument.parse({
        provenance,
        status,
        failures,
        warnings,
        swings,
        broad_segments: broad,
        tables,
        coverage,
        freshness,
        rfm,
        queries: engine.stats.map((s) => ({
          step: s.step,
          wall_ms: Math.round(s.wallMs),
          engine_ms: Math.round(s.engineMs),
          ...(s.bytesScanned !== undefined ? { bytes_scanned: s.bytesScanned } : {}),
          ...(s.queryId ? { query_id: s.queryId } : {}),
        })),
        refresh: {
          mode: mode.mode,
          reason: mode.reason,
          partitions_after: incremental ? (previousState?.through ?? null) : null,
          previous_state_run: incremental ? (previousState?.run_id ?? null) : null,
          previous_state_grains: incremental ? mergedGrains : null,
        },
      });
    if (failures.length > 0) {
      await putJson(store, `${prefix}quality.json`, qualityDoc('failed'));
      throw new QualityGateError(`run ${runId} not published:\n  ${failures.join('\n  ')}`, { run_id: runId, failures });
    }

    await stage('features', async () => {
      await engine.materialize('preferences', 'customer_preferences', customerPreferencesSql(rel));
      await engine.materialize('features', 'customer_features', customerFeaturesSql(rel, input.asOf));
    });

    // Personas discovered from the data: k-means on a sample, fitted here; every customer is assigned in SQL below.
    const discovery = await stage('discovery', () => runDiscovery((step, sql) => engine.query(step, sql), rel), (d) => ({
      status: d.status,
      k: d.k,
      sample: d.sampleSize,
    }));
    if (discovery.status === 'skipped') warnings.push(`persona discovery skipped: ${discovery.reason}`);
    const discoveredRefs = discoveredSegmentRefs(discovery.clusters, discovery.features);

    const rfm = await stage('rfm + segments', async () => {
      const buyers = Number((await engine.query('rfm buyers', buyerCountSql(rel)))[0]?.buyers ?? 0);
      const bins = binsFor(buyers, input.config.rfm.minBuyersForQuintiles);
      await engine.materialize('segments', 'customer_segments', customerSegmentsSql(rel, input.config, input.asOf, bins, discovery.model));
      return { buyers, bins, status: bins === 5 ? ('ok' as const) : ('insufficient_data' as const) };
    }, (r) => ({ buyers: r.buyers, bins: r.bins }));
    if (rfm.status === 'insufficient_data') {
      warnings.push(`only ${rfm.buyers} customers have a purchase order (need ${input.config.rfm.minBuyersForQuintiles} for quintiles): RFM uses ${rfm.bins} bin(s) and is marked insufficient_data`);
    }

    const coverageRow = (await engine.query('coverage', coverageSql(rel)))[0] ?? {};
    // customer_segments carries every feature from here on: the features' buffer goes to the summaries.
    await engine.release?.(['customer_features', 'customer_preferences']);
    const known = Number(coverageRow.known_customers ?? 0);
    const coverage = {
      customers: known,
      with_rfm_segment: Number(coverageRow.with_rfm_segment ?? 0),
      with_lifecycle_stage: Number(coverageRow.with_lifecycle_stage ?? 0),
      share: known > 0 ? Math.min(Number(coverageRow.with_rfm_segment), Number(coverageRow.with_lifecycle_stage)) / known : 0,
    };
    if (Number(coverageRow.rows_out) !== known || Number(coverageRow.distinct_customers) !== known || coverage.share !== 1) {
      failures.push(
        `coverage is ${round(coverage.share * 100, 3)}%: ${known} customers, ${coverageRow.rows_out} segment rows (${coverageRow.distinct_customers} distinct), ${coverage.with_rfm_segment} with an RFM segment, ${coverage.with_lifecycle_stage} with a lifecycle stage`,
      );
      await putJson(store, `${prefix}quality.json`, qualityDoc('failed', coverage, rfm));
      throw new QualityGateError(`run ${runId} not published: ${failures.join('; ')}`, { run_id: runId, coverage });
    }

    const summaries = await stage('summaries', async () => {
      const [summaryRows, medianRows, distributionRows, cutPointRows] = [
        await engine.query('segment summary', segmentSummarySql(rel)),
        await engine.query('median recency', medianRecencySql(rel)),
        await engine.query('distributions', distributionsSql(rel)),
        await engine.query('cut points', cutPointsSql(rel)),
      ];
      return { summaryRows, medianRows, distributionRows, cutPointRows };
    });

    const migrationResult = await stage('migration', async () => {
      const attached = await engine.attachPreviousRun(previousRun ? { store, prefix: previousRun.prefix, runId: previousRun.runId } : null);
      if (previousRun && !attached) warnings.push(`previous run ${previousRun.runId} has no customer_segments files; migration.json compares with no previous run`);
      return { attached, rows: await engine.query('migration', migrationSql(rel)) };
    }, (r) => ({ previous_run: r.attached ? previousRun?.runId : null }));

    await stage('write customer_segments', () =>
      engine.unload(
        'unload customer_segments',
        customerSegmentsOutputSql(rel, { runId, asOf: input.asOf, configHash: hash }),
        { store, prefix: `${prefix}customer_segments/` },
      ),
    );
    // The state the next night's run continues from; read only once latest.json points at this run.
    await stage('write state', async () => {
      // Sorting the state is the run's last big memory user: nothing else is read from the engine any more.
      await engine.release?.(['customer_segments']);
      for (const grain of keptStateGrains(inputs.customers.partitioned)) {
        await engine.unload(`unload state ${grain}`, stateOutputSql(rel, grain), { store, prefix: `${prefix}${stateFolder(grain)}` });
      }
      const manifest: StateManifest = {
        state_version: STATE_VERSION,
        run_id: runId,
        through: input.asOf,
        config_hash: stateConfigHash(input.config),
        mode: mode.mode,
        full_run_id: previousState?.full_run_id ?? runId,
        full_as_of: previousState?.full_as_of ?? input.asOf,
        data_from: dataFrom,
        data_to: maxTs,
        newest,
        customers: coverage.customers,
      };
      await putJson(store, `${prefix}${STATE_MANIFEST}`, validated(StateManifest, manifest, STATE_MANIFEST));
    });

    const distributions = indexDistributions(summaries.distributionRows);
    const segmentList = summarizeSegments({ config: input.config, summaryRows: summaries.summaryRows, medianRows: summaries.medianRows, distributions, discovered: discoveredRefs });
    const allRow = segmentList.find((s) => s.kind === 'all');
    const rfmSummary: RfmSummary = {
      status: rfm.status,
      bins: rfm.bins,
      buyers: rfm.buyers,
      min_buyers_for_quintiles: input.config.rfm.minBuyersForQuintiles,
      cut_points: summaries.cutPointRows.map((r) => ({
        metric: r.metric as RfmSummary['cut_points'][number]['metric'],
        score: Number(r.score),
        min_value: Number(r.min_value),
        max_value: Number(r.max_value),
        customers: Number(r.customers),
      })),
    };
    const segments = validated(SegmentsDocument, {
      provenance,
      currency: input.config.currency?.reporting ?? null,
      customers: allRow?.size ?? 0,
      revenue: allRow?.revenue ?? 0,
      rfm: rfmSummary,
      discovery: discoverySummary(discovery, new Map(discoveredRefs.map((r) => [r.id, r.name]))),
      segments: segmentList,
    }, 'segments.json');
    const personaConfig = input.config.personas;
    const personaSet = buildPersonas({
      segments: segmentList,
      summaryRows: summaries.summaryRows,
      distributions,
      options: {
        runId,
        asOf: input.asOf,
        languages: personaConfig.languages,
        minSegmentSize: personaConfig.minSegmentSize,
        ...(input.config.currency ? { currency: input.config.currency.reporting } : {}),
      },
    });
    const personas = validated(PersonasDocument, {
      provenance,
      language: personaConfig.languages[0],
      languages: personaConfig.languages,
      min_segment_size: personaConfig.minSegmentSize,
      personas: personaSet.byLanguage[personaConfig.languages[0]!] ?? [],
      suppressed: personaSet.suppressed,
    }, 'personas.json');
    const migration = validated(
      MigrationDocument,
      migrationDocument(provenance, migrationResult.attached ? previousRun : null, migrationResult.rows),
      'migration.json',
    );
    const history = validated(
      HistoryDocument,
      historyDocument(provenance, segments, await previousHistory(store, previousRun, log), input.config.history.maxRuns),
      'history.json',
    );
    // Segment size swings against the previous complete run: published, with a warning each.
    const before = await previousSegments(store, previousRun, log);
    if (before) {
      swings = segmentSwings(before.segments, segments.segments, {
        maxSwing: input.config.quality.maxSegmentSwing,
        minSize: input.config.quality.minSegmentSizeForSwing,
      });
      for (const s of swings) {
        warnings.push(
          `segment ${s.kind}/${s.segment_id} changed by ${s.change > 0 ? '+' : ''}${round(s.change * 100, 1)}% since run ${previousRun?.runId} (${s.previous} → ${s.current} customers; limit ±${round(input.config.quality.maxSegmentSwing * 100, 1)}%)`,
        );
      }
    }
    broad = broadSegments(segments.segments, input.config.quality.maxSegmentShare);
    for (const b of broad) {
      warnings.push(
        `segment ${b.kind}/${b.segment_id} holds ${round(b.share * 100, 1)}% of all customers (${b.size} customers; limit ${round(input.config.quality.maxSegmentShare * 100, 1)}%): too broad to single out a target group`,
      );
    }
    const quality = qualityDoc('passed', coverage, { status: rfm.status, bins: rfm.bins, buyers: rfm.buyers });

    const files = await stage('publish', async () => {
      const written: ManifestDocument['files'] = [];
      const put = async (key: string, body: string, contentType: string) => {
        await store.put(key, body, contentType);
        written.push({ key, bytes: Buffer.byteLength(body), sha256: createHash('sha256').update(body).digest('hex') });
      };
      const documents = [
        ['segments.json', segments],
        ['personas.json', personas],
        ['migration.json', migration],
        ['history.json', history],
        ['quality.json', quality],
      ] as const;
      for (const [name, doc] of documents) {
        await put(`${prefix}${name}`, `${JSON.stringify(doc, null, 2)}\n`, 'application/json');
      }
      // One file per persona and language (JSON, validated, and Markdown) under personas/.
      for (const file of personaFiles(personaSet.byLanguage)) await put(`${prefix}${file.key}`, file.body, file.contentType);
      // The same figures as tables for BI tools (Glue tables over runs/<run>/tables/<table>/).
      const { segment_summary, personas: personaTable, segment_migration } = OUTPUT_TABLES;
      await put(`${prefix}${outputTableFolder(segment_summary)}part-00000.jsonl`, toJsonLines(segment_summary, segmentSummaryRows(segments)), 'application/x-ndjson');
      await put(`${prefix}${outputTableFolder(personaTable)}part-00000.jsonl`, toJsonLines(personaTable, personaRows(personas)), 'application/x-ndjson');
      await put(`${prefix}${outputTableFolder(segment_migration)}part-00000.jsonl`, toJsonLines(segment_migration, migrationRows(migration)), 'application/x-ndjson');
      // For spreadsheet users: the segment_summary table as RFC 4180 CSV.
      await put(`${prefix}segment_summary.csv`, segmentSummaryCsv(segments), 'text/csv; charset=utf-8');
      const listed = await store.list(prefix);
      // Keys starting with '_' are the run's own bookkeeping (query journal, failure marker), not results.
      const engineFiles = listed
        .filter((o) => !o.key.slice(prefix.length).startsWith('_') && !written.some((w) => w.key === o.key))
        .map((o) => ({ key: o.key, bytes: o.bytes }));
      const all = [...written, ...engineFiles].sort((a, b) => compareText(a.key, b.key));
      if (!all.some((f) => f.key.startsWith(`${prefix}customer_segments/`))) {
        throw new PublishError(`run ${runId}: customer_segments was not written`, { run_id: runId });
      }
      await putJson(store, `${prefix}manifest.json`, validated(ManifestDocument, { provenance, files: all }, 'manifest.json'));
      const pointer = validated(LatestPointer, {
        schema_version: OUTPUT_SCHEMA_VERSION,
        run_id: runId,
        as_of: input.asOf,
        completed_at: deps.clock().toISOString(),
        config_hash: hash,
        prefix,
        manifest: `${prefix}manifest.json`,
      }, 'latest.json');
      if (!newerPublished) await publishLatest(store, pointer, log);
      return all;
    }, (f) => ({ files: f.length }));

    if (newerPublished) {
      log.log('info', 'backfill written; latest.json still points at the newer run', { customers: segments.customers, files: files.length, latest_run: newerPublished.runId, latest_as_of: newerPublished.asOf });
    } else {
      log.log('info', 'refresh published', { customers: segments.customers, files: files.length });
    }
    return { runId, prefix, segments, personas, quality, migration, history, files, stages, mode, newerPublished };
  } catch (error) {
    log.log('error', 'refresh failed', { error: describeError(error) });
    // Leave a marker for operators; latest.json still points at the last good run.
    await putJson(store, `${prefix}${FAILED_MARKER}`, { run_id: runId, failed_at: deps.clock().toISOString(), error: describeError(error) }).catch((markerError: unknown) =>
      log.log('warn', 'could not write the failure marker; the run folder stays unmarked', { error: describeError(markerError) }),
    );
    throw error;
  }
}

/** A table as the progress line shows it: "orders (365 files, 2 pruned, parquet)". */
function describeInput(t: InputTable): string {
  const parts = [`${t.files} file${t.files === 1 ? '' : 's'}`, ...(t.prunedFiles > 0 ? [`${t.prunedFiles} pruned`] : []), ...(t.formats.length > 0 ? [t.formats.join('+')] : [])];
  return `${t.table} (${parts.join(', ')})`;
}

/**
 * Full or incremental, from the state of the run latest.json points at. A state manifest that does not parse, or
 * whose files are gone, means a full run: the state is a cache of the lake, not a source of truth. A failed READ
 * fails the run, like every other read of the previous run: the retry then resumes it as the cheap run it is.
 */
async function chooseMode(deps: RefreshDeps, input: RefreshInput, previousRun: PreviousRunRef | null, log: Logger): Promise<RefreshMode> {
  let previous: StateManifest | null = null;
  if (previousRun && !input.full) {
    const text = await getText(deps.store, `${previousRun.prefix}${STATE_MANIFEST}`);
    let raw: unknown;
    try {
      raw = text === undefined ? undefined : JSON.parse(text);
    } catch {
      raw = null;
    }
    const parsed = StateManifest.safeParse(raw);
    if (raw !== undefined && !parsed.success) log.log('warn', 'previous feature state manifest is invalid; running a full refresh', { run: previousRun.runId });
    previous = parsed.success ? parsed.data : null;
  }
  const mode = chooseRefreshMode({
    asOf: input.asOf,
    forceFull: input.full === true ? 'full recompute requested' : input.full || null,
    previous,
    stateConfigHash: stateConfigHash(input.config),
    maxStateAgeDays: input.config.incremental.maxStateAgeDays,
    fullEveryDays: input.config.incremental.fullEveryDays,
  });
  return mode;
}

/**
 * Writes latest.json. A PUT whose response was lost (timeout, connection reset after S3 stored it) may still have
 * taken effect: then the run IS published, and must be neither reported failed nor marked _FAILED. So when the
 * write throws, latest.json is read back; if it holds exactly this pointer the publish counts as done.
 */
async function publishLatest(store: ObjectStore, pointer: LatestPointer, log: Logger): Promise<void> {
  const body = `${JSON.stringify(pointer, null, 2)}\n`;
  try {
    await store.put(LATEST_KEY, body, 'application/json');
  } catch (error) {
    const now = await store.get(LATEST_KEY).catch(() => undefined);
    if (now === undefined || Buffer.from(now).toString('utf8') !== body) throw error;
    log.log('warn', 'latest.json write reported an error but took effect; the run is published', { error: describeError(error) });
  }
}

function validated<T>(schema: z.ZodType<T>, value: unknown, name: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new PublishError(`${name} does not match its schema: ${readableIssues(result.error).map((i) => `${i.path}: ${i.message}`).join('; ')}`, { file: name });
  }
  return result.data;
}

/** Five bins when there are enough buyers; otherwise as many bins as keep ~minBuyers/5 customers in each. */
export function binsFor(buyers: number, minBuyersForQuintiles: number): number {
  if (buyers >= minBuyersForQuintiles) return 5;
  const perBin = minBuyersForQuintiles / 5;
  return Math.max(1, Math.min(4, Math.floor(buyers / perBin)));
}

const STALENESS = { fresh: 0, stale_warning: 1, stale: 2 } as const;
type Newest = NonNullable<StateManifest['newest']>;

/** The newest accepted row of each dated table, this run's or, when later, the state's it continues. */
export function newestPerTable(tables: Partial<Record<TableName, TableQuality>>, previous: StateManifest | null): Newest {
  return {
    orders: latest(tables.orders?.present ? tables.orders.max_ts : null, previous?.newest?.orders),
    events: latest(tables.events?.present ? tables.events.max_ts : null, previous?.newest?.events),
  };
}

/**
 * Freshness of the data as a whole and of each dated table that has rows. A table without any accepted row is
 * not judged on its own: a missing orders table fails elsewhere, and missing events are an input, not an age.
 */
export function freshnessOf(
  newest: string | null,
  asOf: string,
  limits: SegmentsConfig['freshness'],
  perTable: Newest,
): QualityDocument['freshness'] {
  const judge = (ts: string) => {
    const age = daysBetween(ts.slice(0, 10), asOf);
    return { newest_data: ts, age_days: age, status: age > limits.failAfterDays ? 'stale' : age > limits.warnAfterDays ? 'stale_warning' : 'fresh' } as const;
  };
  const tables = Object.fromEntries(Object.entries(perTable).flatMap(([table, ts]) => (ts ? [[table, judge(ts)]] : [])));
  return newest ? { ...judge(newest), tables } : { newest_data: null, age_days: null, status: 'stale', tables };
}

async function tableQuality(
  engine: QueryEngine,
  store: ObjectStore,
  inputTable: InputTable,
  malformed: MalformedLines,
  table: TableName,
  prefix: string,
): Promise<TableQuality> {
  const rel = engine.relations;
  const rows = await engine.query(`quality ${table}`, tableQualitySql(rel, table));
  const byReason: Partial<Record<RejectReason | 'malformed_line', number>> = {};
  let accepted = 0;
  let afterAsOf = 0;
  let minTs: string | null = null;
  let maxTs: string | null = null;
  for (const row of rows) {
    const count = Number(row.rows_count);
    if (row.status === 'accepted') {
      accepted += count;
      minTs = (row.min_ts as string | null) ?? null;
      maxTs = (row.max_ts as string | null) ?? null;
    } else if (row.status === 'after_as_of') {
      accepted += count;
      afterAsOf = count;
    } else {
      byReason[row.reject_reason as RejectReason] = count;
    }
  }
  if (malformed.count > 0) byReason.malformed_line = malformed.count;
  const rejected = Object.values(byReason).reduce((a, b) => a + (b ?? 0), 0);
  const read = accepted + rejected;
  let quarantine: string | null = null;
  const examples: TableQuality['examples'] = malformed.examples.slice(0, 5).map((m) => ({
    reason: 'malformed_line',
    field: '(whole line)',
    file: m.file,
    ...(m.line !== undefined ? { line: m.line } : {}),
    values: m.error,
  }));
  if (rejected - malformed.count > 0) {
    const exampleRows: Row[] = await engine.query(`rejects ${table}`, rejectExamplesSql(rel, table, 3));
    for (const r of exampleRows) {
      const reason = String(r.reject_reason) as RejectReason;
      examples.push({ reason, field: rejectField(table, reason), file: (r.source_file as string | null) ?? null, values: String(r.row_values) });
    }
    quarantine = `${prefix}quarantine/${table}`;
    await engine.unload(`quarantine ${table}`, quarantineSql(rel, table), { store, prefix: `${quarantine}/` });
  }
  return {
    present: inputTable.present,
    files: inputTable.files,
    bytes: inputTable.bytes,
    formats: [...inputTable.formats],
    rows_read: read,
    rows_accepted: accepted,
    rows_rejected: rejected,
    rejected_share: read > 0 ? round(rejected / read, 6) : 0,
    // In the contract's order, not the order the engine grouped them in: reruns give the same quality.json.
    rejected_by_reason: Object.fromEntries([...REJECT_REASONS, 'malformed_line' as const].flatMap((r) => (byReason[r] === undefined ? [] : [[r, byReason[r]]]))),
    rows_after_as_of: afterAsOf,
    min_ts: minTs,
    max_ts: maxTs,
    examples,
    quarantine,
  };
}
