/**
 * The README's dashboard pictures (docs/dashboard-*.png), taken from real runs so they never drift from the code:
 * a seeded 20,000-customer lake, four weekly refreshes (so the trend has a shape), then the dashboard in headless
 * Chromium. Run after a change to the dashboard or the documents: `npx tsx scripts/docs-screenshots.ts`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateLake } from '../shared/generate/generate-lake.ts';
import { refreshLocal } from '../shared/pipeline/local.ts';
import { launchChromium } from './chromium.ts';
import { startDashboardServer } from './serve-dashboard.ts';

const AS_OF_DATES = ['2026-06-09', '2026-06-16', '2026-06-23', '2026-06-30'];
const DOCS = path.resolve('docs');

const root = await mkdtemp(path.join(os.tmpdir(), 'docs-screenshots-'));
try {
  const lake = path.join(root, 'lake');
  const out = path.join(root, 'out');
  await generateLake({ customers: 20_000, seed: 7, out: lake, asOf: AS_OF_DATES.at(-1)! });
  for (const asOf of AS_OF_DATES) await refreshLocal({ lakeDir: lake, outDir: out, asOf });

  const server = await startDashboardServer({ outDir: out, port: 0, host: '127.0.0.1' });
  const browser = await launchChromium({ viewport: { width: 1280, height: 1400 } });
  try {
    const page = browser.context.pages()[0] ?? (await browser.context.newPage());
    await page.goto(server.url);
    await page.waitForSelector('body[data-state="ready"]', { timeout: 15_000 });
    await page.screenshot({ path: path.join(DOCS, 'dashboard-desktop.png') });
    await page.locator('#trends').screenshot({ path: path.join(DOCS, 'dashboard-trends.png') });

    await page.selectOption('#persona-language', 'de');
    await page.waitForSelector('#persona-cards[data-language="de"]:not([aria-busy])');
    // The section's top in page coordinates (selecting the language scrolled the viewport).
    const top = Number(await page.evaluate("document.getElementById('personas').getBoundingClientRect().top + window.scrollY"));
    await page.screenshot({ path: path.join(DOCS, 'dashboard-personas.png'), fullPage: true, clip: { x: 0, y: top, width: 1280, height: 1250 } });

    await page.selectOption('#persona-language', 'en');
    await page.waitForSelector('#persona-cards[data-language="en"]:not([aria-busy])');
    await page.setViewportSize({ width: 390, height: 1500 });
    await page.evaluate('window.scrollTo(0, 0)');
    // The charts redraw at the phone's width (the page's CSP refuses waitForFunction's eval, so poll).
    for (let i = 0; !(await page.evaluate("[...document.querySelectorAll('.chart svg')].every((svg) => Number(svg.getAttribute('width')) <= 390)")); i++) {
      if (i === 50) throw new Error('the charts did not redraw at phone width');
      await page.waitForTimeout(100);
    }
    await page.screenshot({ path: path.join(DOCS, 'dashboard-phone.png') });
  } finally {
    await browser.close();
    await server.close();
  }
  console.log(`screenshots written to ${DOCS}`);
} finally {
  await rm(root, { recursive: true, force: true });
}
