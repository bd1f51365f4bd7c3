import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HistoryDocument,
  LatestPointer,
  MigrationDocument,
  Persona,
  PersonasDocument,
  QualityDocument,
  SegmentsDocument,
} from '../../shared/contracts/outputs.ts';
import { generateLake } from '../../shared/generate/generate-lake.ts';
import { refreshLocal } from '../../shared/pipeline/local.ts';
import { launchChromium, type Chromium } from '../../scripts/chromium.ts';
import { startDashboardServer, type DashboardServer } from '../../scripts/serve-dashboard.ts';
import { tempDir } from '../helpers/duckdb.ts';
import { readJson } from '../helpers/outputs.ts';

/**
 * The dashboard in a real headless Chromium (Debian's, installed by scripts/ensure-chromium.sh) against two real
 * refreshes of a generated lake, served by scripts/serve-dashboard.ts on 127.0.0.1. Everything shown is checked
 * against the published JSON documents; screenshots go to test-artifacts/.
 */
const FIRST_AS_OF = '2026-06-23'; // within incremental.maxStateAgeDays of AS_OF, so the second run continues the first one's state
const AS_OF = '2026-06-30';
const ARTIFACTS = path.resolve('test-artifacts');
const en = (n: number) => new Intl.NumberFormat('en', { maximumFractionDigits: 0 }).format(n);

describe('dashboard in headless Chromium', () => {
  let out: string;
  let runDir: string;
  let segments: SegmentsDocument;
  let personas: PersonasDocument;
  let server: DashboardServer;
  let browser: Chromium;
  let page: Page;
  const problems: string[] = [];
  const foreignRequests: string[] = [];

  beforeAll(async () => {
    const lake = path.join(await tempDir('dashboard-lake'), 'lake');
    out = await tempDir('dashboard-out');
    await generateLake({ customers: 2_000, seed: 5, out: lake, asOf: AS_OF });
    // Two nightly runs on the same lake: the first sees the data up to its as-of date only.
    await refreshLocal({ lakeDir: lake, outDir: out, asOf: FIRST_AS_OF });
    const result = await refreshLocal({ lakeDir: lake, outDir: out, asOf: AS_OF });
    runDir = path.join(out, result.prefix);
    segments = SegmentsDocument.parse(await readJson(path.join(runDir, 'segments.json')));
    personas = PersonasDocument.parse(await readJson(path.join(runDir, 'personas.json')));

    server = await startDashboardServer({ outDir: out, port: 0, host: '127.0.0.1' });
    browser = await launchChromium({ viewport: { width: 1280, height: 900 } });
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('requestfailed', (r) => problems.push(`requestfailed: ${r.url()}`));
    page.on('request', (r) => {
      if (!r.url().startsWith(`http://127.0.0.1:${server.port}/`) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) foreignRequests.push(r.url());
    });
    await page.goto(server.url);
    await page.waitForSelector('body[data-state="ready"]', { timeout: 15_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows the latest run: as-of date, customers, coverage and the rejected rows from the documents', async () => {
    const latest = LatestPointer.parse(await readJson(path.join(out, 'latest.json')));
    const quality = QualityDocument.parse(await readJson(path.join(runDir, 'quality.json')));
    expect(latest.as_of).toBe(AS_OF);
    expect(await page.textContent('[data-kpi="as-of"]')).toBe(AS_OF);
    expect(await page.textContent('[data-kpi="customers"]')).toBe(en(segments.customers));
    // Money carries the run's reporting currency (the default config converts to EUR).
    expect(segments.currency).toBe('EUR');
    // Up to a million in whole units; the exact figure in the tile's title.
    expect(segments.revenue).toBeLessThan(1e6);
    expect(await page.textContent('[data-kpi="revenue"]')).toBe(new Intl.NumberFormat('en', { style: 'currency', currency: 'EUR', maximumFractionDigits: 0 }).format(segments.revenue));
    expect(await page.getAttribute('[data-kpi="revenue"]', 'title')).toBe(new Intl.NumberFormat('en', { style: 'currency', currency: 'EUR', minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(segments.revenue));
    expect(await page.textContent('[data-kpi="quality"]')).toBe(quality.status);
    const rejected = Object.values(quality.tables).reduce((a, t) => a + (t?.rows_rejected ?? 0), 0);
    expect(rejected).toBeGreaterThan(0); // the generator plants bad rows
    expect(await page.textContent('[data-kpi="rejected"]')).toBe(en(rejected));
    expect(await page.textContent('#run-subtitle')).toContain(latest.run_id);
    for (const [table, t] of Object.entries(quality.tables)) {
      expect(await page.getAttribute(`#quality-detail tr[data-table="${table}"] td[data-rejected]`, 'data-rejected')).toBe(String(t?.rows_rejected));
      // Orders and events show their newest row; customers, a snapshot, shows none.
      const newest = quality.freshness.tables[table as 'orders' | 'events'];
      const cell = page.locator(`#quality-detail tr[data-table="${table}"] td[data-newest]`);
      expect(await cell.getAttribute('data-newest')).toBe(newest?.newest_data ?? '');
      expect(await cell.textContent()).toBe(newest ? `${newest.newest_data.slice(0, 10)} (${newest.age_days} d)` : '—');
    }
    expect(Object.keys(quality.freshness.tables).sort()).toEqual(['events', 'orders']);
    // The second night continued the first one's state: its row counts are the new partitions', and it says so.
    expect(quality.refresh).toMatchObject({ mode: 'incremental', partitions_after: FIRST_AS_OF });
    expect(await page.textContent('#quality-detail [data-refresh]')).toBe('incremental');
    expect(await page.textContent('#quality-detail caption')).toContain(`this run read the partitions after ${FIRST_AS_OF}; earlier days come from the feature state`);
    const warnings = await page.$$eval('#quality-banner [data-quality]', (els) => els.map((e) => e.textContent ?? ''));
    expect(warnings.length).toBeGreaterThanOrEqual(quality.warnings.length + quality.failures.length);
    for (const w of quality.warnings) expect(warnings.some((t) => t.includes(w))).toBe(true);
  });

  it('draws one bar row per segment, grouped by kind, with the sizes and shares of segments.json', async () => {
    for (const kind of ['rfm', 'lifecycle', 'rule', 'discovered'] as const) {
      const expected = segments.segments.filter((s) => s.kind === kind);
      const rows = await page.$$eval(`.segment-group[data-kind="${kind}"] .size-chart .bar-row`, (els) =>
        els.map((g) => ({
          id: g.getAttribute('data-segment-id'),
          size: Number(g.getAttribute('data-size')),
          share: Number(g.querySelector('rect[data-series="share"]')?.getAttribute('data-value')),
          revenueShare: Number(g.querySelector('rect[data-series="revenue_share"]')?.getAttribute('data-value')),
          width: Number(g.querySelector('rect[data-series="share"]')?.getAttribute('width')),
          title: g.querySelector('rect[data-series="share"] title')?.textContent ?? '',
          label: g.querySelector('.bar-label')?.textContent ?? '',
          // Left edge of the label against the chart's: a long name must not run off it.
          labelLeft: g.querySelector('.bar-label')!.getBoundingClientRect().left - g.closest('svg')!.getBoundingClientRect().left,
          value: g.querySelector('.bar-value[data-series="share"]')?.textContent ?? '',
        })),
      );
      expect(rows.map((r) => r.id)).toEqual(expected.map((s) => s.id));
      rows.forEach((row, i) => {
        const s = expected[i]!;
        expect(row).toMatchObject({ size: s.size, share: s.share, revenueShare: s.revenue_share });
        expect(row.title.startsWith(`${s.name} — customers: ${en(s.size)} · `)).toBe(true);
        expect(s.name.startsWith(row.label.replace(/…$/, ''))).toBe(true);
        expect(row.labelLeft, row.label).toBeGreaterThanOrEqual(0);
        expect(row.value.startsWith(en(s.size))).toBe(true);
        if (s.size > 0) expect(row.width).toBeGreaterThan(0);
      });
      // Bar lengths are proportional to the shares.
      const big = rows.reduce((a, b) => (b.share > a.share ? b : a));
      const small = rows.reduce((a, b) => (b.share < a.share ? b : a));
      if (small.share > 0) expect(big.width / small.width).toBeCloseTo(big.share / small.share, 0);
      const label = await page.getAttribute(`.segment-group[data-kind="${kind}"] .size-chart svg`, 'aria-label');
      for (const s of expected) expect(label).toContain(`${s.name}: customers ${en(s.size)}`);
    }
    // The KPI chart follows the select.
    await page.selectOption('#kpi-select', 'avg_frequency');
    const champions = segments.segments.find((s) => s.id === 'champions')!;
    await expect.poll(() => page.getAttribute('.segment-group[data-kind="rfm"] .kpi-chart rect[data-series="avg_frequency"]', 'data-value')).toBe(String(champions.avg_frequency));
  });

  it('draws the trend with one point per run of history.json', async (ctx) => {
    const file = path.join(runDir, 'history.json');
    if (!existsSync(file)) {
      // Older pipelines do not publish history.json yet: the dashboard says so instead of failing.
      expect(await page.isVisible('[data-missing="history"]')).toBe(true);
      ctx.skip();
      return;
    }
    const history = HistoryDocument.parse(await readJson(file));
    expect(history.runs.length).toBeGreaterThanOrEqual(2);
    expect(history.runs.at(-1)?.as_of).toBe(AS_OF);
    for (const kind of ['rfm', 'lifecycle'] as const) {
      await page.selectOption('#trend-kind', kind);
      await page.waitForSelector(`.trend-chart[data-kind="${kind}"] svg`);
      const ids = [...new Set(history.runs.flatMap((r) => r.segments.filter((s) => s.kind === kind).map((s) => s.id)))];
      const series = await page.$$eval(`.trend-chart[data-kind="${kind}"] .series`, (els) =>
        els.map((g) => ({
          id: g.getAttribute('data-segment-id'),
          points: [...g.querySelectorAll('circle.point')].map((c) => ({ run: c.getAttribute('data-run-id'), value: Number(c.getAttribute('data-value')) })),
        })),
      );
      expect(series.map((s) => s.id)).toEqual(ids);
      for (const s of series) {
        const expected = history.runs.flatMap((r) => {
          const seg = r.segments.find((x) => x.id === s.id);
          return seg ? [{ run: r.run_id, value: seg.size }] : [];
        });
        expect(s.points).toEqual(expected);
      }
      expect(series.some((s) => s.points.length === history.runs.length)).toBe(true);
      expect(await page.locator('.trend-chart [data-note="refitted"]').count()).toBe(0);
    }
    // Discovered segments are renumbered each run: their trend says what a line follows.
    await page.selectOption('#trend-kind', 'discovered');
    await page.waitForSelector('.trend-chart[data-kind="discovered"]');
    expect(await page.textContent('.trend-chart [data-note="refitted"]')).toContain('refitted every run and numbered by size');
    await page.selectOption('#trend-kind', 'rfm');
  });

  it('shows the from → to counts of migration.json for RFM and lifecycle', async (ctx) => {
    const file = path.join(runDir, 'migration.json');
    if (!existsSync(file)) {
      expect(await page.isVisible('[data-missing="migration"]')).toBe(true);
      ctx.skip();
      return;
    }
    const migration = MigrationDocument.parse(await readJson(file));
    expect(migration.previous_as_of).toBe(FIRST_AS_OF);
    for (const kind of ['rfm', 'lifecycle'] as const) {
      const cells = await page.$$eval(`table.matrix[data-kind="${kind}"] td[data-count]`, (els) =>
        els.map((td) => ({ from: td.getAttribute('data-from'), to: td.getAttribute('data-to'), count: Number(td.getAttribute('data-count')), text: td.textContent })),
      );
      const nonZero = cells.filter((c) => c.count > 0);
      expect(nonZero).toHaveLength(migration.kinds[kind].length);
      for (const f of migration.kinds[kind]) {
        expect(nonZero).toContainEqual({ from: f.from ?? '', to: f.to ?? '', count: f.customers, text: en(f.customers) });
      }
    }
    expect(await page.textContent('#migration')).toContain(`${en(migration.moved.rfm)} customers changed RFM segment`);
  });

  it('renders a card per persona and switches the language to the per-persona files', async () => {
    expect(await page.locator('.persona-card').count()).toBe(personas.personas.length);
    const first = personas.personas[0]!;
    const card = page.locator(`.persona-card[data-segment-id="${first.segment.id}"]`);
    expect(await card.locator('.persona-name').textContent()).toBe(first.identity.name);
    expect(await card.locator('.persona-story').textContent()).toBe(first.identity.story.text);
    expect(await card.getAttribute('lang')).toBe('en');
    // The card lists the best three channels with any sign of reach, in the JSON's rank order.
    for (const p of personas.personas) {
      const shown = await page.locator(`.persona-card[data-segment-id="${p.segment.id}"] .channel-name`).allTextContents();
      expect(shown).toEqual(p.preferred_channels.filter((c) => c.score > 0).slice(0, 3).map((c) => c.label));
      // Goals, pain points and next actions in full, each item tagged with its statement code.
      for (const [kind, items] of [['goals', p.goals], ['pain-points', p.pain_points], ['next-actions', p.next_actions]] as const) {
        const list = page.locator(`.persona-card[data-segment-id="${p.segment.id}"] .statements.${kind} li`);
        expect(await list.allTextContents()).toEqual(items.map((s) => s.text));
        expect(await list.evaluateAll((lis) => lis.map((li) => li.getAttribute('data-code')))).toEqual(items.map((s) => s.code));
      }
    }
    expect(personas.personas.every((p) => p.pain_points.length > 0)).toBe(true);

    const de = Persona.parse(await readJson(path.join(runDir, 'personas', `${first.segment.id}.de.json`)));
    expect(de.identity.story.text).not.toBe(first.identity.story.text);
    await page.selectOption('#persona-language', 'de');
    await page.waitForSelector('#persona-cards[data-language="de"]:not([aria-busy])');
    expect(await card.locator('.persona-story').textContent()).toBe(de.identity.story.text);
    expect(await card.locator('.persona-name').textContent()).toBe(de.identity.name);
    expect(await card.getAttribute('lang')).toBe('de');
    const aov = new Intl.NumberFormat('de-DE', { style: 'currency', currency: de.currency!, minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(de.behaviour.avg_order_value!);
    expect(await card.locator('[data-figure="aov"]').textContent()).toBe(aov);
    expect(await page.locator('.persona-card').count()).toBe(personas.personas.length);

    await page.selectOption('#persona-language', 'ja');
    await page.waitForSelector('#persona-cards[data-language="ja"]:not([aria-busy])');
    const ja = Persona.parse(await readJson(path.join(runDir, 'personas', `${first.segment.id}.ja.json`)));
    expect(await card.locator('.persona-story').textContent()).toBe(ja.identity.story.text);
    expect(await card.locator('.statements.pain-points li').allTextContents()).toEqual(ja.pain_points.map((s) => s.text));
    expect(await card.locator('h4').allTextContents()).toContain('課題');
  });

  it('downloads the per-persona JSON and Markdown files', async () => {
    await page.selectOption('#persona-language', 'de');
    await page.waitForSelector('#persona-cards[data-language="de"]:not([aria-busy])');
    const persona = personas.personas.find((p) => p.segment.kind === 'rfm') ?? personas.personas[0]!;
    const card = page.locator(`.persona-card[data-segment-id="${persona.segment.id}"]`);
    for (const ext of ['json', 'md'] as const) {
      const [download] = await Promise.all([page.waitForEvent('download'), card.locator(`[data-download="${ext}"]`).click()]);
      expect(download.suggestedFilename()).toBe(`${persona.segment.id}.de.${ext}`);
      const text = await readFile(await download.path(), 'utf8');
      const file = await readFile(path.join(runDir, 'personas', `${persona.segment.id}.de.${ext}`), 'utf8');
      expect(text).toBe(file);
      if (ext === 'json') expect(Persona.parse(JSON.parse(text))).toMatchObject({ language: 'de', segment: { id: persona.segment.id } });
    }
  });

  it('reads the documents from another origin and says so when a persona download fails instead of saving the error page', async () => {
    const persona = personas.personas.find((p) => p.segment.kind === 'rfm') ?? personas.personas[0]!;
    const failing = `/${path.relative(out, runDir)}/personas/${persona.segment.id}.en.json`;
    // A second origin (localhost, not 127.0.0.1) with CORS, like a results bucket behind its own host name.
    const data = http.createServer(async (req, res) => {
      const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      res.setHeader('access-control-allow-origin', '*');
      if (pathname === failing) return void res.writeHead(500).end('internal error');
      const body = await readFile(path.join(out, pathname)).catch(() => null);
      if (!body) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': pathname.endsWith('.json') ? 'application/json' : 'text/plain; charset=utf-8' }).end(body);
    });
    await new Promise<void>((resolve) => data.listen(0, 'localhost', resolve));
    const other = await browser.context.newPage();
    try {
      const { port } = data.address() as { port: number };
      await other.goto(`${server.url}?data=${encodeURIComponent(`http://localhost:${port}/`)}`);
      await other.waitForSelector('body[data-state="ready"]', { timeout: 15_000 });
      const card = other.locator(`.persona-card[data-segment-id="${persona.segment.id}"]`);
      const downloads: string[] = [];
      other.on('download', (d) => downloads.push(d.suggestedFilename()));
      await card.locator('[data-download="json"]').click();
      await expect.poll(() => card.locator('.download-error').textContent()).toBe(`Download failed (500): ${persona.segment.id}.en.json`);
      const [download] = await Promise.all([other.waitForEvent('download'), card.locator('[data-download="md"]').click()]);
      expect(await readFile(await download.path(), 'utf8')).toBe(await readFile(path.join(runDir, 'personas', `${persona.segment.id}.en.md`), 'utf8'));
      expect(downloads).toEqual([`${persona.segment.id}.en.md`]);
      expect(await card.locator('.download-error').count()).toBe(0);
    } finally {
      await other.close();
      // Chromium keeps its connections alive; close() would wait for them.
      data.closeAllConnections();
      await new Promise((resolve) => data.close(resolve));
    }
  });

  it('is operable by keyboard, labels its controls and loads nothing from elsewhere', async () => {
    await page.reload();
    await page.waitForSelector('body[data-state="ready"]');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.className')).toBe('skip-link');
    await page.keyboard.press('Enter');
    expect(await page.evaluate('document.activeElement?.id')).toBe('main');
    // Every select has a label; the language select is reachable with the keyboard and changes the cards.
    const unlabeled = await page.$$eval('select', (els) => els.filter((s) => !(s as unknown as { labels: unknown[] | null }).labels?.length).map((s) => s.id));
    expect(unlabeled).toEqual([]);
    await page.focus('#persona-language');
    expect(await page.inputValue('#persona-language')).toBe('en');
    await page.keyboard.press('ArrowDown'); // the next language: Deutsch
    await page.waitForSelector('#persona-cards[data-language="de"]:not([aria-busy])');
    expect(await page.evaluate('getComputedStyle(document.activeElement).outlineStyle')).toBe('solid');
    expect(await page.locator('main').count()).toBe(1);
    expect(await page.locator('header.site-header nav[aria-label]').count()).toBe(1);
    for (const svg of await page.$$('svg')) {
      expect(await svg.getAttribute('role')).toBe('img');
      expect((await svg.getAttribute('aria-label'))?.length).toBeGreaterThan(10);
    }
    expect(foreignRequests).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('saves screenshots at desktop and phone width', async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-desktop.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    // The charts redraw at the phone's width.
    await expect.poll(() => page.evaluate("[...document.querySelectorAll('.chart svg')].every((svg) => Number(svg.getAttribute('width')) <= 390)")).toBe(true);
    // Nothing is wider than the phone's screen (tables scroll inside their own region).
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-phone.png') });
    await page.evaluate("document.getElementById('personas').scrollIntoView({ behavior: 'instant', block: 'start' })");
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-phone-personas.png') });
    await page.setViewportSize({ width: 1280, height: 900 });
  });
});

describe('dashboard server', () => {
  let out: string;
  let server: DashboardServer;
  beforeAll(async () => {
    out = await tempDir('dashboard-serve');
    await mkdir(path.join(out, 'runs', 'r1', 'customer_segments'), { recursive: true });
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path.join(out, 'latest.json'), '{"run_id":"r1"}');
    await writeFile(path.join(out, 'runs', 'r1', 'customer_segments', 'part-0.parquet'), 'PAR1');
    await writeFile(path.join(out, 'runs', 'r1', 'x.md'), '# x');
    server = await startDashboardServer({ outDir: out, port: 0 });
  });
  afterAll(() => server?.close());

  /** A raw request, so the path reaches the server exactly as written (no client-side normalisation). */
  const get = (rawPath: string, method = 'GET') =>
    new Promise<{ status: number; type: string | undefined; body: string }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: server.port, path: rawPath, method }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
      });
      req.on('error', reject);
      req.end();
    });

  it('serves the dashboard and the documents with their content types, read-only', async () => {
    expect(await get('/')).toMatchObject({ status: 302 });
    expect(await get('/dashboard/')).toMatchObject({ status: 200, type: 'text/html; charset=utf-8' });
    expect(await get('/dashboard/app.js')).toMatchObject({ status: 200, type: 'text/javascript; charset=utf-8' });
    expect(await get('/dashboard/styles.css')).toMatchObject({ status: 200, type: 'text/css; charset=utf-8' });
    expect(await get('/latest.json')).toMatchObject({ status: 200, type: 'application/json; charset=utf-8', body: '{"run_id":"r1"}' });
    expect(await get('/runs/r1/x.md')).toMatchObject({ status: 200, type: 'text/markdown; charset=utf-8' });
    expect((await get('/latest.json', 'PUT')).status).toBe(405);
    expect((await get('/latest.json', 'DELETE')).status).toBe(405);
  });

  it('refuses path traversal and never serves the customer-level Parquet', async () => {
    for (const p of [
      '/runs/r1/customer_segments/part-0.parquet',
      '/../package.json',
      '/%2e%2e/package.json',
      '/dashboard/../../package.json',
      '/dashboard/..%2f..%2fpackage.json',
      '/dashboard/%2e%2e%2f%2e%2e%2fpackage.json',
      '/dashboard/..%5c..%5cpackage.json',
      '/runs/r1/..%2f..%2f..%2fpackage.json',
      '/dashboard/%00.js',
      '/dashboard/%E0%A4%A.js',
    ]) {
      const res = await get(p);
      expect([400, 404], p).toContain(res.status);
      expect(res.body).not.toContain('segment-personas');
    }
  });
});
