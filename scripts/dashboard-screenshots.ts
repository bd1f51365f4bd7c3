import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateLake } from '../shared/generate/generate-lake.ts';
import { refreshLocal } from '../shared/pipeline/local.ts';
import { newRunId } from '../shared/pipeline/refresh.ts';
import { launchChromium } from './chromium.ts';
import { startDashboardServer } from './serve-dashboard.ts';

/**
 * `npm run dashboard:screenshots [-- --out DIR] [--docs DIR] [--customers N]`: the README's dashboard pictures
 * (docs/dashboard-*.png), taken in headless Chromium (scripts/ensure-chromium.sh) from real runs, so they never
 * drift from the code. Run it after a change to the dashboard or to what it shows.
 *
 * Without --out it generates a 20,000-customer lake (seed 7) and runs four weekly refreshes, so the trend and the
 * migration view have a shape and the pictures are the same on every machine. With --out it shows the results
 * already in DIR (e.g. .data/out after `npm start`).
 */
const AS_OF_DATES = ['2026-06-09', '2026-06-16', '2026-06-23', '2026-06-30'];

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string' }, docs: { type: 'string', default: 'docs' }, customers: { type: 'string', default: '20000' } } });
  const docs = path.resolve(values.docs);
  await mkdir(docs, { recursive: true });

  let outDir = values.out ? path.resolve(values.out) : '';
  let work = '';
  if (!outDir) {
    work = await mkdtemp(path.join(os.tmpdir(), 'dashboard-shots-'));
    const lake = path.join(work, 'lake');
    outDir = path.join(work, 'out');
    process.stderr.write(`generating a ${values.customers}-customer lake and running ${AS_OF_DATES.length} refreshes…\n`);
    await generateLake({ customers: Number(values.customers), seed: 7, out: lake, asOf: AS_OF_DATES.at(-1)! });
    for (const asOf of AS_OF_DATES) {
      const clock = () => new Date(`${asOf}T23:30:00Z`);
      // A fixed tail instead of the random one, so the pictures change only when the dashboard or the data does.
      await refreshLocal({ lakeDir: lake, outDir, asOf, clock, runId: newRunId(asOf, clock()).replace(/[0-9a-f]+$/, '000000') });
    }
  }

  const server = await startDashboardServer({ outDir, port: 0 });
  const browser = await launchChromium({ viewport: { width: 1280, height: 1400 } });
  try {
    const page = browser.context.pages()[0] ?? (await browser.context.newPage());
    await page.goto(server.url);
    await page.waitForSelector('body[data-state="ready"]', { timeout: 30_000 });
    const shots: string[] = [];
    const shoot = async (name: string, take: (file: string) => Promise<unknown>) => {
      const file = path.join(docs, name);
      await take(file);
      shots.push(`${path.relative(process.cwd(), file)} (${Math.round((await stat(file)).size / 1024)} KB)`);
    };

    // Desktop: the run summary and the RFM and lifecycle charts.
    await shoot('dashboard-desktop.png', (file) => page.screenshot({ path: file }));
    // Change over time: the trend and the migration matrices.
    await shoot('dashboard-trends.png', (file) => page.locator('#trends').screenshot({ path: file }));
    // Persona cards, switched to German.
    await page.selectOption('#persona-language', 'de');
    await page.waitForSelector('#persona-cards[data-language="de"]:not([aria-busy])');
    // The section's top in page coordinates (selecting the language scrolled the viewport).
    const top = Number(await page.evaluate("document.getElementById('personas').getBoundingClientRect().top + window.scrollY"));
    await shoot('dashboard-personas.png', (file) => page.screenshot({ path: file, fullPage: true, clip: { x: 0, y: top, width: 1280, height: 1250 } }));
    await page.selectOption('#persona-language', 'en');
    await page.waitForSelector('#persona-cards[data-language="en"]:not([aria-busy])');
    // Phone width: the same page, one column. The charts redraw at the new width; the page's CSP refuses
    // waitForFunction's eval, so poll.
    await page.setViewportSize({ width: 390, height: 1500 });
    await page.evaluate('window.scrollTo(0, 0)');
    for (let i = 0; !(await page.evaluate("[...document.querySelectorAll('.chart svg')].every((svg) => Number(svg.getAttribute('width')) <= 390)")); i++) {
      if (i === 50) throw new Error('the charts did not redraw at phone width');
      await page.waitForTimeout(100);
    }
    await shoot('dashboard-phone.png', (file) => page.screenshot({ path: file }));
    process.stdout.write(`Screenshots:\n${shots.map((s) => `  ${s}`).join('\n')}\n`);
  } finally {
    await browser.close();
    await server.close();
    if (work) await rm(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
