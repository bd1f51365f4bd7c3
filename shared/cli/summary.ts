import path from 'node:path';
import type { RefreshResult } from '../pipeline/refresh.ts';

const fmt = (n: number) => n.toLocaleString('en-US');
const pct = (n: number) => `${(n * 100).toFixed(1)}%`;
const money = (n: number, currency: string | null) =>
  currency ? n.toLocaleString('en-US', { style: 'currency', currency, maximumFractionDigits: 0 }) : fmt(Math.round(n));

/**
 * Text columns: the first left-aligned, the rest right-aligned, each as wide as its widest cell (heading
 * included), so headings sit over their figures whatever the segment names and counts. Nothing is cut: a
 * config's segment name is what the marketer will look for.
 */
function textTable(heading: readonly string[], rows: readonly (readonly string[])[], trailing: readonly string[] = []): string[] {
  const widths = heading.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(heading).trimEnd(), ...rows.map((r, i) => `${line(r)}${trailing[i] ?? ''}`.trimEnd())];
}

/** The refresh's summary on stdout: input counts, coverage, every segment's size and revenue share, where the files are. */
export function renderSummary(result: RefreshResult, outDir: string, seconds: number): string {
  const q = result.quality;
  const lines: string[] = [];
  lines.push('', `Run ${result.runId}  as of ${q.provenance.as_of}  (${seconds.toFixed(1)} s)`);
  lines.push(`Refresh: ${result.mode.mode} — ${result.mode.reason}`);
  lines.push(`Data ${q.provenance.data_from?.slice(0, 10) ?? '–'} → ${q.provenance.data_to?.slice(0, 10) ?? '–'}, config ${q.provenance.config_hash}`);
  const tables = Object.entries(q.tables);
  lines.push(
    '',
    ...textTable(
      ['Input', 'read', 'accepted', 'rejected'],
      tables.map(([table, t]) => (t.present ? [`  ${table}`, fmt(t.rows_read), fmt(t.rows_accepted), fmt(t.rows_rejected)] : [`  ${table}`, '(absent)', '', ''])),
      tables.map(([, t]) => {
        const reasons = Object.entries(t.rejected_by_reason).map(([r, n]) => `${r} ${fmt(n ?? 0)}`).join(', ');
        return reasons ? `  (${reasons})` : '';
      }),
    ),
  );
  // An incremental night's counts are its new partitions', not the history's: a reader must not take them for the whole.
  if (q.refresh?.mode === 'incremental' && q.refresh.partitions_after) {
    lines.push(`  (orders and events: only the day partitions after ${q.refresh.partitions_after}; earlier days come from the feature state of run ${q.refresh.previous_state_run})`);
  }
  const newest = Object.entries(q.freshness.tables).map(
    ([table, f]) => `${table} ${f.newest_data.slice(0, 10)} (${fmt(f.age_days)} ${f.age_days === 1 ? 'day' : 'days'} old${f.status === 'fresh' ? '' : `, ${f.status.replace('_', ' ')}`})`,
  );
  lines.push('', ...(newest.length > 0 ? [`Newest rows: ${newest.join(', ')}`] : []), `Customers ${fmt(q.coverage.customers)}, net revenue ${money(result.segments.revenue, result.segments.currency)}, coverage ${pct(q.coverage.share)}, RFM ${q.rfm.status} (${q.rfm.bins} bins, ${fmt(q.rfm.buyers)} buyers)`);
  const headings = { rfm: 'RFM segments', lifecycle: 'Lifecycle stages', rule: 'Rule segments', discovered: 'Discovered segments' } as const;
  // One name width for all four tables, so their columns line up with each other too.
  const nameWidth = Math.max(...Object.values(headings).map((h) => h.length), ...result.segments.segments.map((s) => s.name.length + 2));
  for (const [kind, heading] of Object.entries(headings)) {
    const rows = result.segments.segments.filter((x) => x.kind === kind);
    if (rows.length === 0) continue;
    lines.push(
      '',
      ...textTable(
        [heading.padEnd(nameWidth), 'customers', 'share', 'revenue share'],
        rows.map((s) => [`  ${s.name}`, fmt(s.size), pct(s.share), pct(s.revenue_share)]),
      ),
    );
  }
  const personas = result.personas;
  lines.push(
    '',
    `Personas ${fmt(personas.personas.length)} in ${personas.languages.join(', ')}${personas.suppressed.length > 0 ? `; ${fmt(personas.suppressed.length)} segments without one (smaller than ${fmt(personas.min_segment_size)} customers)` : ''}`,
  );
  for (const warning of q.warnings) lines.push(`warning: ${warning}`);
  const root = path.resolve(outDir);
  lines.push('', `Results in ${path.join(root, result.prefix)}`);
  lines.push(`  customer_segments/ (Parquet), segments.json, personas.json, personas/<segment>.<lang>.json|.md, migration.json, history.json, segment_summary.csv, quality.json, manifest.json`);
  const latest = result.newerPublished
    ? `  ${path.join(root, 'latest.json')} still → ${result.newerPublished.runId}: as of ${result.newerPublished.asOf}, newer than this backfill`
    : `  ${path.join(root, 'latest.json')} → ${result.runId}`;
  lines.push(latest, '');
  return `${lines.join('\n')}\n`;
}
