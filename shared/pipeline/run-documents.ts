import { OUTPUT_TABLES, segmentSummaryRows } from '../contracts/output-tables.ts';
import {
  HistoryDocument,
  LatestPointer,
  type MigrationDocument,
  type MigrationFlow,
  type Provenance,
  type QualityDocument,
  SegmentsDocument,
} from '../contracts/outputs.ts';
import type { Row } from '../engines/query-engine.ts';
import type { Logger } from '../logging.ts';
import { getJson, utf8, type ObjectStore } from '../stores/object-store.ts';

/**
 * The documents a run derives from the runs before it — migration.json and history.json — and the CSV export.
 * Each run writes its own copies under runs/<run_id>/ (nothing shared is updated in place), so a failed run can
 * never corrupt what a reader following latest.json sees.
 */

export interface PreviousRunRef {
  readonly runId: string;
  readonly asOf: string;
  readonly prefix: string;
}

/** The complete run latest.json points at, or null (first run, or a pointer that does not parse). */
export async function readPreviousRun(store: ObjectStore, latestKey: string, log?: Logger): Promise<PreviousRunRef | null> {
  // A failed READ fails the run (S3StoreError): treating it as "no previous run" would publish a run whose
  // history.json restarts and whose migration compares with nothing. Only unparseable content is tolerated.
  const bytes = await store.get(latestKey);
  if (bytes === undefined) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(utf8(bytes));
  } catch (error) {
    log?.log('warn', 'latest.json is not JSON; comparing with no previous run', { error: (error as Error).message });
    return null;
  }
  if (raw === undefined) return null;
  const parsed = LatestPointer.safeParse(raw);
  if (!parsed.success) {
    log?.log('warn', 'latest.json does not match its schema; comparing with no previous run', {});
    return null;
  }
  return { runId: parsed.data.run_id, asOf: parsed.data.as_of, prefix: parsed.data.prefix };
}

const KINDS = ['rfm', 'lifecycle'] as const;

/** migration.json from the rows of migrationSql (kind, from_segment, to_segment, customers). */
export function migrationDocument(provenance: Provenance, previous: PreviousRunRef | null, rows: readonly Row[]): MigrationDocument {
  const text = (v: unknown) => (v === null || v === undefined ? null : String(v));
  const kinds = { rfm: [] as MigrationFlow[], lifecycle: [] as MigrationFlow[] };
  for (const row of rows) {
    const kind = String(row.kind);
    if (kind !== 'rfm' && kind !== 'lifecycle') continue;
    kinds[kind].push({ from: text(row.from_segment), to: text(row.to_segment), customers: Number(row.customers) });
  }
  const order = (a: MigrationFlow, b: MigrationFlow) => cmp(a.from, b.from) || cmp(a.to, b.to);
  for (const kind of KINDS) kinds[kind].sort(order);
  const sum = (flows: readonly MigrationFlow[], keep: (f: MigrationFlow) => boolean) => flows.filter(keep).reduce((n, f) => n + f.customers, 0);
  return {
    provenance,
    previous_run_id: previous?.runId ?? null,
    previous_as_of: previous?.asOf ?? null,
    kinds,
    moved: {
      rfm: sum(kinds.rfm, (f) => f.from !== null && f.to !== null && f.from !== f.to),
      lifecycle: sum(kinds.lifecycle, (f) => f.from !== null && f.to !== null && f.from !== f.to),
    },
    new_customers: sum(kinds.rfm, (f) => f.from === null),
    departed_customers: sum(kinds.rfm, (f) => f.to === null),
  };
}

/** Nulls first, then by code point (as the SQL's ORDER BY … NULLS FIRST on ASCII ids). */
function cmp(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}

export type HistoryRun = HistoryDocument['runs'][number];

export function historyEntry(segments: SegmentsDocument): HistoryRun {
  return {
    run_id: segments.provenance.run_id,
    as_of: segments.provenance.as_of,
    customers: segments.customers,
    revenue: segments.revenue,
    segments: segments.segments.map((s) => ({ id: s.id, kind: s.kind, name: s.name, size: s.size, revenue_share: s.revenue_share })),
  };
}

/**
 * The runs of the previous complete run's history.json. A previous run from before history.json existed (or whose
 * history does not parse) contributes its own entry, taken from its segments.json, so the trend starts there.
 */
export async function previousHistory(store: ObjectStore, previous: PreviousRunRef | null, log?: Logger): Promise<HistoryRun[]> {
  if (!previous) return [];
  // As above: the reads must succeed (or find nothing); only content that does not parse starts a new history.
  const historyBytes = await store.get(`${previous.prefix}history.json`);
  const segmentsBytes = await store.get(`${previous.prefix}segments.json`);
  const parse = (bytes: Uint8Array | undefined): unknown => (bytes === undefined ? undefined : JSON.parse(utf8(bytes)));
  try {
    const history = HistoryDocument.safeParse(parse(historyBytes));
    if (history.success) return history.data.runs;
    const segments = parse(segmentsBytes) as SegmentsDocument | undefined;
    if (segments?.provenance && Array.isArray(segments.segments)) return [historyEntry(segments)];
  } catch (error) {
    log?.log('warn', 'could not read the previous run’s history; starting a new one', { run: previous.runId, error: (error as Error).message });
  }
  return [];
}

/** This run appended to the previous runs (a rerun of the same run id replaces its entry), the newest `maxRuns` kept. */
export function historyDocument(provenance: Provenance, segments: SegmentsDocument, earlier: readonly HistoryRun[], maxRuns: number): HistoryDocument {
  const runs = [...earlier.filter((r) => r.run_id !== provenance.run_id), historyEntry(segments)].slice(-maxRuns);
  return { provenance, max_runs: maxRuns, runs };
}

/** RFC 4180: a field with a comma, quote, CR or LF is quoted, its quotes doubled; lines end in CRLF. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * segment_summary.csv: the segment_summary table (the figures of segments.json) for spreadsheets — one header row,
 * the table's columns in order, the top_* lists as `value:share|value:share` (share 0–1; a missing value reads
 * `(none)`).
 */
export function segmentSummaryCsv(segments: SegmentsDocument): string {
  const columns = OUTPUT_TABLES.segment_summary.columns.map((c) => c.name);
  const cell = (value: unknown) =>
    Array.isArray(value)
      ? (value as { value: string | null; share: number }[]).map((v) => `${v.value ?? '(none)'}:${v.share}`).join('|')
      : value;
  const lines = [columns.map(csvField).join(','), ...segmentSummaryRows(segments).map((row) => columns.map((c) => csvField(cell(row[c]))).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}

export type SegmentSwing = QualityDocument['swings'][number];

/**
 * Segments whose size changed by more than `maxSwing` (a share: 0.5 = ±50 %) from the previous complete run to
 * this one; only segments with at least `minSize` customers in either run, so small segments do not raise noise.
 * A segment gone from this run counts as size 0; one new in this run has no previous size and is not compared.
 */
export function segmentSwings(
  previous: SegmentsDocument['segments'],
  current: SegmentsDocument['segments'],
  limits: { maxSwing: number; minSize: number },
): SegmentSwing[] {
  const key = (s: { kind: string; id: string }) => `${s.kind}\u0000${s.id}`;
  const now = new Map(current.map((s) => [key(s), s.size]));
  const swings: SegmentSwing[] = [];
  // Discovered segments are refitted every run and numbered by size, so discovered_3 tonight need not be last
  // night's cluster (k itself may change): their sizes are not comparable across runs.
  for (const before of previous.filter((s) => s.kind !== 'discovered')) {
    const after = now.get(key(before)) ?? 0;
    if (before.size <= 0 || Math.max(before.size, after) < limits.minSize) continue;
    const change = (after - before.size) / before.size;
    if (Math.abs(change) > limits.maxSwing) {
      swings.push({ segment_id: before.id, kind: before.kind, previous: before.size, current: after, change: Math.round(change * 10_000) / 10_000 });
    }
  }
  return swings;
}

export type BroadSegment = QualityDocument['broad_segments'][number];

/**
 * Rule and discovered segments holding more than `maxShare` of all customers. A target group that takes in most
 * customers singles nobody out (a rule whose threshold is too loose, a cluster that is "everyone else"). RFM
 * classes and lifecycle stages are not checked: they partition every customer, so one of them holding most
 * customers ("Active") is a finding about the business, not about the segment's definition.
 */
export function broadSegments(segments: SegmentsDocument['segments'], maxShare: number): BroadSegment[] {
  return segments
    .filter((s) => (s.kind === 'rule' || s.kind === 'discovered') && s.share > maxShare)
    .map((s) => ({ segment_id: s.id, kind: s.kind, size: s.size, share: s.share }));
}

/** The previous complete run's segments.json, or null when it cannot be read (then no swing is checked). */
export async function previousSegments(store: ObjectStore, previous: PreviousRunRef | null, log?: Logger): Promise<SegmentsDocument | null> {
  if (!previous) return null;
  // A failed read fails the run: a store outage must not quietly switch the swing gate off. Only content that is
  // missing or no longer parses (an older schema) is skipped.
  const bytes = await store.get(`${previous.prefix}segments.json`);
  if (bytes === undefined) return null;
  try {
    const parsed = SegmentsDocument.safeParse(JSON.parse(utf8(bytes)));
    if (parsed.success) return parsed.data;
  } catch {
    // falls through to the warning
  }
  log?.log('warn', 'previous segments.json does not parse; segment swings are not checked', { run_id: previous.runId });
  return null;
}
