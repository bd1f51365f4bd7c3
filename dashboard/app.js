// The dashboard: reads latest.json and the run's documents (see lib/data.js for where they are looked up) and
// renders the run summary, segment charts, trend and migration views, persona cards and data quality.
import { barChart, lineChart, migrationMatrix } from './lib/charts.js';
import { loadRun, personasIn, personaUrl } from './lib/data.js';
import { dateTime, h, int, money, moneyTotal, num, pct, replace } from './lib/dom.js';

/** @typedef {import('./lib/data.js').SegmentsDocument} SegmentsDocument */
/** @typedef {import('./lib/data.js').Persona} Persona */
/** @typedef {import('./lib/data.js').QualityDocument} QualityDocument */
/** @typedef {SegmentsDocument['segments'][number]} Segment */

const KINDS = /** @type {const} */ ([
  ['rfm', 'RFM value segments'],
  ['lifecycle', 'Lifecycle stages'],
  ['rule', 'Rule segments'],
  ['discovered', 'Discovered segments'],
]);
const KIND_LABEL = Object.fromEntries(KINDS);

/** KPIs a marketer can compare segments by. */
const KPIS = [
  { key: 'avg_order_value', label: 'Average order value', format: (v) => money(v, 'en', run.segments.currency) },
  { key: 'avg_frequency', label: 'Orders per customer', format: (v) => num(v, 1) },
  { key: 'buyers_share', label: 'Buyers share', format: (v) => pct(v) },
  { key: 'conversion_rate', label: 'Conversion (purchases / product views)', format: (v) => pct(v) },
  { key: 'median_recency_days', label: 'Median days since last purchase', format: (v) => int(v) },
  { key: 'cart_abandonment_rate', label: 'Cart abandonment', format: (v) => pct(v) },
  { key: 'return_rate', label: 'Return rate', format: (v) => pct(v) },
  { key: 'email_opt_in_share', label: 'E-mail opt-in share', format: (v) => pct(v) },
  { key: 'mobile_share', label: 'Mobile share of events', format: (v) => pct(v) },
  { key: 'browsers_share', label: 'Browsers share (events, no purchase)', format: (v) => pct(v) },
];

const LANGUAGE_NAMES = { en: 'English', de: 'Deutsch', ko: '한국어', ja: '日本語', nb: 'Norsk bokmål' };

/** Card labels in the persona's language (headings match the per-persona Markdown). */
const CARD_TEXT = {
  en: { customers: 'Customers', share: 'Share of customers', revenue: 'Share of revenue', aov: 'Average order value', freq: 'Orders per customer', recency: 'Days since last purchase (median)', conversion: 'Conversion', story: 'Story', channels: 'Preferred channels', traits: 'What sets them apart', innovation: 'Innovation type', figures: 'Key figures', goals: 'Goals', pains: 'Pain points', actions: 'Recommended next actions' },
  de: { customers: 'Kunden', share: 'Anteil an allen Kunden', revenue: 'Anteil am Umsatz', aov: 'Durchschnittlicher Bestellwert', freq: 'Bestellungen pro Kunde', recency: 'Tage seit dem letzten Kauf (Median)', conversion: 'Konversion', story: 'Geschichte', channels: 'Bevorzugte Kanäle', traits: 'Was sie auszeichnet', innovation: 'Innovationstyp', figures: 'Kennzahlen', goals: 'Ziele', pains: 'Schmerzpunkte', actions: 'Empfohlene nächste Schritte' },
  ko: { customers: '고객 수', share: '전체 고객 중 비중', revenue: '매출 비중', aov: '평균 주문 금액', freq: '고객당 주문 수', recency: '마지막 구매 후 일수(중앙값)', conversion: '전환율', story: '스토리', channels: '선호 채널', traits: '차별화 특성', innovation: '혁신 유형', figures: '핵심 지표', goals: '목표', pains: '불편 사항', actions: '권장 다음 조치' },
  ja: { customers: '顧客数', share: '全顧客に占める割合', revenue: '売上に占める割合', aov: '平均注文額', freq: '顧客あたり注文数', recency: '最終購入からの日数（中央値）', conversion: 'コンバージョン率', story: 'ストーリー', channels: '好まれるチャネル', traits: '際立つ特徴', innovation: 'イノベーション区分', figures: '主要指標', goals: '目標', pains: '課題', actions: '推奨される次のアクション' },
  nb: { customers: 'Kunder', share: 'Andel av alle kunder', revenue: 'Andel av omsetningen', aov: 'Gjennomsnittlig ordreverdi', freq: 'Bestillinger per kunde', recency: 'Dager siden siste kjøp (median)', conversion: 'Konvertering', story: 'Historie', channels: 'Foretrukne kanaler', traits: 'Hva som skiller dem ut', innovation: 'Innovasjonstype', figures: 'Nøkkeltall', goals: 'Mål', pains: 'Smertepunkter', actions: 'Anbefalte neste steg' },
};
const LOCALES = { en: 'en-GB', de: 'de-DE', ko: 'ko-KR', ja: 'ja-JP', nb: 'nb-NO' };

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** @param {string} message @param {'info' | 'error'} [kind] */
function setStatus(message, kind = 'info') {
  const el = $('status');
  el.className = `status ${kind}`;
  el.textContent = message;
}

/** @type {Awaited<ReturnType<typeof loadRun>>} */
let run;

async function main() {
  try {
    run = await loadRun();
  } catch (error) {
    setStatus(
      `Could not load the results: ${/** @type {Error} */ (error).message}. Run \`npm start\` to produce a run, serve it with \`npm run dashboard\`, or point the dashboard at the results with ?data=<url>.`,
      'error',
    );
    document.body.dataset.state = 'error';
    return;
  }
  renderSummary();
  renderSegments();
  renderTrend();
  renderMigration();
  renderQuality();
  await setupPersonas();
  setStatus('');
  document.body.dataset.state = 'ready';
}

/* ---------- run summary ---------- */

function renderSummary() {
  const { segments, quality, personas, latest } = run;
  const p = segments.provenance;
  $('run-subtitle').textContent = `As of ${p.as_of} · run ${p.run_id}${latest ? ` · published ${dateTime(latest.completed_at)}` : ''}`;
  const buyers = segments.segments.find((s) => s.kind === 'all')?.buyers_share ?? null;
  const rejected = Object.values(quality.tables).reduce((a, t) => a + (t?.rows_rejected ?? 0), 0);
  const items = [
    ['as-of', 'As of', p.as_of],
    ['customers', 'Customers', int(segments.customers)],
    ['revenue', 'Net revenue', moneyTotal(segments.revenue, segments.currency), money(segments.revenue, 'en', segments.currency)],
    ['coverage', 'Segment coverage', pct(quality.coverage.share)],
    ['buyers', 'Buyers', pct(buyers)],
    ['personas', 'Personas', int(personas.personas.length)],
    ['quality', 'Quality gate', quality.status],
    ['rejected', 'Rejected rows', int(rejected)],
  ];
  replace($('run-summary'), ...items.map(([key, label, value, exact]) => h('div', { class: `kpi kpi-${key}` }, h('dt', {}, label), h('dd', { 'data-kpi': key, ...(exact ? { title: exact } : {}) }, value))));

  const warnings = [...quality.failures.map((t) => ['failure', t]), ...quality.warnings.map((t) => ['warning', t])];
  if (quality.freshness.status !== 'fresh') warnings.push(['warning', `Data freshness: ${quality.freshness.status.replace('_', ' ')} (newest data ${dateTime(quality.freshness.newest_data)}, ${quality.freshness.age_days} days old).`]);
  if (quality.rfm.status !== 'ok') warnings.push(['warning', `RFM: ${quality.rfm.status.replace('_', ' ')} (${quality.rfm.buyers} buyers, ${quality.rfm.bins} bins).`]);
  const perTable = Object.entries(quality.tables)
    .filter(([, t]) => t?.present)
    .map(([name, t]) => `${name} ${int(t?.rows_rejected)} of ${int(t?.rows_read)} (${pct(t?.rejected_share, 'en', 2)})`)
    .join(' · ');
  replace(
    $('quality-banner'),
    warnings.length
      ? h('div', { class: 'callout warn', role: 'note', 'aria-label': 'Data-quality warnings' }, h('strong', {}, `${warnings.length} data-quality ${warnings.length === 1 ? 'issue' : 'issues'}`), h('ul', {}, ...warnings.map(([kind, text]) => h('li', { 'data-quality': kind }, `${kind === 'failure' ? 'Failure: ' : ''}${text}`))))
      : h('p', { class: 'callout ok' }, h('strong', {}, 'No data-quality warnings. '), `Rejected rows per table${readScope(quality)}: ${perTable || 'none'}. `, h('a', { href: '#quality' }, 'Details')),
  );
  replace($('footer-provenance'), `Run ${p.run_id} · generated ${dateTime(p.generated_at)} · engine ${p.engine} · tool ${p.tool_version} · config ${p.config_hash} · data ${dateTime(p.data_from)} – ${dateTime(p.data_to)}. Data from `, h('code', {}, run.root.href));
}

/**
 * What "rows read" covers. An incremental night reads only the new day partitions (the rest comes from the feature
 * state), so its counts are a day's, not the history's: say so wherever they are shown.
 * @param {QualityDocument} quality
 */
function readScope(quality) {
  const r = quality.refresh;
  return r?.mode === 'incremental' && r.partitions_after ? ` (this run read the partitions after ${r.partitions_after}; earlier days come from the feature state)` : '';
}

/* ---------- segments ---------- */

function renderSegments() {
  const select = /** @type {HTMLSelectElement} */ ($('kpi-select'));
  if (!select.options.length) {
    for (const k of KPIS) select.append(h('option', { value: k.key }, k.label));
    select.addEventListener('change', renderSegments);
  }
  const kpi = KPIS.find((k) => k.key === select.value) ?? KPIS[0];
  const all = run.segments.segments.find((s) => s.kind === 'all');
  const container = $('segment-groups');
  replace(container);
  for (const [kind, title] of KINDS) {
    const list = run.segments.segments.filter((s) => s.kind === kind);
    if (!list.length) continue;
    const titleId = `kind-${kind}`;
    const group = h('section', { class: 'segment-group', 'aria-labelledby': titleId, 'data-kind': kind }, h('h3', { id: titleId }, `${title} `, h('span', { class: 'muted' }, `(${list.length})`)));
    const grid = h('div', { class: 'chart-grid' });
    group.append(grid);
    container.append(group);
    const sizeBox = h('figure', { class: 'size-chart' }, h('figcaption', {}, 'Share of customers and of net revenue'));
    grid.append(sizeBox);
    barChart(sizeBox, {
      label: `${title}: share of customers and of net revenue`,
      series: [
        { key: 'share', label: 'customers', className: 'bar-customers' },
        { key: 'revenue_share', label: 'revenue', className: 'bar-revenue' },
      ],
      rows: list.map((s) => ({
        id: s.id,
        label: s.name,
        values: { share: s.share, revenue_share: s.revenue_share },
        texts: { share: `${int(s.size)} · ${pct(s.share)}`, revenue_share: pct(s.revenue_share) },
        attrs: { 'data-segment-id': s.id, 'data-size': s.size, 'data-share': s.share, 'data-revenue-share': s.revenue_share },
      })),
    });
    sizeBox.append(h('p', { class: 'legend-inline', 'aria-hidden': 'true' }, h('span', { class: 'swatch bar-customers' }), 'customers (count · share) ', h('span', { class: 'swatch bar-revenue' }), 'revenue share'));
    const kpiBox = h('figure', { class: 'kpi-chart' }, h('figcaption', {}, `${kpi.label}`, all ? h('span', { class: 'muted' }, ` — all customers: ${kpi.format(all[kpi.key])}`) : null));
    grid.append(kpiBox);
    barChart(kpiBox, {
      label: `${title}: ${kpi.label}`,
      series: [{ key: kpi.key, label: kpi.label, className: 'bar-kpi' }],
      rows: list.map((s) => ({ id: s.id, label: s.name, values: { [kpi.key]: s[kpi.key] }, texts: { [kpi.key]: kpi.format(s[kpi.key]) }, attrs: { 'data-segment-id': s.id } })),
    });
    group.append(segmentTable(list, title));
  }
}

/** @param {Segment[]} list @param {string} title */
function segmentTable(list, title) {
  const cols = [
    ['Customers', (s) => int(s.size)],
    ['Share', (s) => pct(s.share)],
    ['Revenue share', (s) => pct(s.revenue_share)],
    ...KPIS.map((k) => [k.label, (s) => k.format(s[k.key])]),
    ['Top category', (s) => s.top_categories[0]?.value ?? '—'],
    ['Top channel', (s) => s.top_channels[0]?.value ?? '—'],
  ];
  const table = h(
    'table',
    { class: 'data-table' },
    h('caption', { class: 'visually-hidden' }, `${title}: all figures`),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Segment'), ...cols.map(([label]) => h('th', { scope: 'col' }, label)))),
    h('tbody', {}, ...list.map((s) => h('tr', { 'data-segment-id': s.id }, h('th', { scope: 'row' }, s.name), ...cols.map(([, f]) => h('td', {}, f(s)))))),
  );
  return h('details', { class: 'numbers' }, h('summary', {}, 'All figures as a table', h('span', { class: 'visually-hidden' }, ` (${title})`)), h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': `${title}: all figures` }, table));
}

/* ---------- change over time ---------- */

function renderTrend() {
  const box = $('trend');
  const select = /** @type {HTMLSelectElement} */ ($('trend-kind'));
  if (!select.dataset.bound) {
    select.dataset.bound = '1';
    select.addEventListener('change', renderTrend);
  }
  const { history } = run;
  if (!history) {
    replace(box, h('p', { class: 'callout', 'data-missing': 'history' }, 'No history.json in this run: the trend appears once the refresh publishes it.'));
    return;
  }
  const kind = select.value;
  const runs = history.runs;
  const ids = [];
  const names = new Map();
  for (const r of runs) for (const s of r.segments) if (s.kind === kind && !names.has(s.id)) (ids.push(s.id), names.set(s.id, s.name));
  const series = ids.map((id) => ({ id, label: names.get(id), values: runs.map((r) => r.segments.find((s) => s.id === id)?.size ?? null) }));
  const figure = h('figure', { class: 'trend-chart', 'data-kind': kind, 'data-runs': runs.length }, h('figcaption', {}, `Customers per segment over the last ${runs.length} run${runs.length === 1 ? '' : 's'} (${KIND_LABEL[kind]})`));
  replace(box, figure);
  if (kind === 'discovered') {
    // Each run refits the clusters and numbers them by size: a line follows a rank, not the same group of customers.
    figure.append(h('p', { class: 'muted', 'data-note': 'refitted' }, 'Discovered segments are refitted every run and numbered by size, so a line follows a size rank, not the same customers; compare them within a run.'));
  }
  if (!series.length) {
    figure.append(h('p', { class: 'muted' }, 'No segments of this kind in the history.'));
    return;
  }
  lineChart(figure, { runs, series, label: `${KIND_LABEL[kind]}: customers per run`, yLabel: 'customers' });
  const table = h(
    'table',
    { class: 'data-table' },
    h('caption', { class: 'visually-hidden' }, 'Customers per segment and run'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Segment'), ...runs.map((r) => h('th', { scope: 'col', title: r.run_id }, r.as_of)))),
    h('tbody', {},
      h('tr', {}, h('th', { scope: 'row' }, 'All customers'), ...runs.map((r) => h('td', {}, int(r.customers)))),
      ...series.map((se) => h('tr', {}, h('th', { scope: 'row' }, se.label), ...se.values.map((v) => h('td', {}, int(v)))))),
  );
  box.append(h('details', { class: 'numbers' }, h('summary', {}, 'The trend as a table'), h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': 'Customers per segment and run' }, table)));
}

function renderMigration() {
  const box = $('migration');
  const { migration } = run;
  if (!migration) {
    replace(box, h('p', { class: 'callout', 'data-missing': 'migration' }, 'No migration.json in this run: the movement between segments appears once the refresh publishes it.'));
    return;
  }
  if (!migration.previous_run_id) {
    replace(box, h('p', { class: 'callout', 'data-first-run': '' }, 'This is the first run: there is no previous run to compare with yet.'));
    return;
  }
  const names = new Map(run.segments.segments.map((s) => [s.id, s.name]));
  const order = (kind) => run.segments.segments.filter((s) => s.kind === kind).map((s) => s.id);
  replace(
    box,
    h('p', {}, `Compared with the run of ${migration.previous_as_of} (`, h('code', {}, migration.previous_run_id), `): ${int(migration.moved.rfm)} customers changed RFM segment and ${int(migration.moved.lifecycle)} changed lifecycle stage; ${int(migration.new_customers)} are new and ${int(migration.departed_customers)} departed. Rows: the previous segment; columns: the current one; the diagonal (outlined) stayed.`),
    h('div', { class: 'matrix-grid' },
      h('div', {}, h('h4', {}, 'RFM value segments'), migrationMatrix({ kind: 'rfm', flows: migration.kinds.rfm, order: order('rfm'), names, caption: `RFM segments: customers from the ${migration.previous_as_of} run to the ${migration.provenance.as_of} run` })),
      h('div', {}, h('h4', {}, 'Lifecycle stages'), migrationMatrix({ kind: 'lifecycle', flows: migration.kinds.lifecycle, order: order('lifecycle'), names, caption: `Lifecycle stages: customers from the ${migration.previous_as_of} run to the ${migration.provenance.as_of} run` })),
    ),
  );
}

/* ---------- personas ---------- */

async function setupPersonas() {
  const select = /** @type {HTMLSelectElement} */ ($('persona-language'));
  for (const lang of run.personas.languages) select.append(h('option', { value: lang, lang }, LANGUAGE_NAMES[lang] ?? lang));
  select.value = run.personas.language;
  select.addEventListener('change', () => void renderPersonas());
  $('persona-kind').addEventListener('change', () => void renderPersonas());
  if (run.personas.suppressed.length) {
    $('persona-hint').append(` ${run.personas.suppressed.length} segment${run.personas.suppressed.length === 1 ? ' has' : 's have'} fewer than ${run.personas.min_segment_size} customers and no persona (privacy): ${run.personas.suppressed.map((s) => s.segment_id).join(', ')}.`);
  }
  await renderPersonas();
}

let personaRender = 0;
async function renderPersonas() {
  const lang = /** @type {HTMLSelectElement} */ ($('persona-language')).value;
  const kind = /** @type {HTMLSelectElement} */ ($('persona-kind')).value;
  const ticket = ++personaRender;
  const cards = $('persona-cards');
  cards.setAttribute('aria-busy', 'true');
  let personas;
  try {
    personas = await personasIn(run.runUrl, run.personas, lang);
  } catch (error) {
    setStatus(`Could not load the personas in ${LANGUAGE_NAMES[lang] ?? lang}: ${/** @type {Error} */ (error).message}`, 'error');
    cards.removeAttribute('aria-busy');
    return;
  }
  if (ticket !== personaRender) return;
  cards.lang = lang;
  cards.dataset.language = lang;
  replace(cards, ...personas.filter((p) => !kind || p.segment.kind === kind).map((p) => personaCard(p, lang)));
  cards.removeAttribute('aria-busy');
  if (document.body.dataset.state === 'ready') setStatus(`Showing ${cards.children.length} personas in ${LANGUAGE_NAMES[lang] ?? lang}.`);
}

/** @param {Persona} p @param {string} lang */
function personaCard(p, lang) {
  const t = CARD_TEXT[lang] ?? CARD_TEXT.en;
  const locale = LOCALES[lang] ?? lang;
  const b = p.behaviour;
  const headingId = `persona-${p.segment.id}`;
  const figures = [
    ['customers', int(p.segment.size, locale)],
    ['share', pct(p.segment.share, locale)],
    ['revenue', pct(p.segment.revenue_share, locale)],
    ['aov', money(b.avg_order_value, locale, p.currency)],
    ['freq', num(b.avg_frequency, 1, locale)],
    ['recency', int(b.median_recency_days, locale)],
    ['conversion', pct(b.conversion_rate, locale)],
  ];
  // A channel scoring 0 has no reach or no engagement in the data: listing it as "preferred" would mislead.
  const channels = p.preferred_channels.filter((c) => c.score > 0).slice(0, 3);
  return h(
    'article',
    { class: 'persona-card', 'aria-labelledby': headingId, 'data-segment-id': p.segment.id, 'data-language': p.language, lang: p.language },
    h('header', {},
      h('p', { class: 'persona-segment' }, h('span', { class: `badge kind-${p.segment.kind}`, lang: 'en' }, p.segment.kind), ` ${p.segment.name}`),
      h('h3', { id: headingId, class: 'persona-name' }, p.identity.name),
      h('p', { class: 'persona-archetype' }, p.identity.archetype.label),
    ),
    h('dl', { class: 'persona-figures', 'aria-label': t.figures }, ...figures.map(([k, v]) => h('div', {}, h('dt', {}, t[k]), h('dd', { 'data-figure': k }, v)))),
    h('h4', {}, t.story),
    h('p', { class: 'persona-story' }, p.identity.story.text),
    // What a campaign starts from; every statement, its evidence included, is in the downloads.
    ...statements(t.goals, 'goals', p.goals),
    ...statements(t.pains, 'pain-points', p.pain_points),
    ...statements(t.actions, 'next-actions', p.next_actions),
    channels.length ? h('h4', {}, t.channels) : null,
    channels.length ? h('ol', { class: 'channels' }, ...channels.map((c) => h('li', {},
      h('span', { class: 'channel-name' }, c.label),
      h('meter', { min: 0, max: 1, value: c.score, 'aria-label': `${c.label}: ${num(c.score, 2, locale)}` }),
      h('span', { class: 'channel-score' }, num(c.score, 2, locale))))) : null,
    p.technographics.innovation.label ? h('p', { class: 'innovation' }, h('strong', {}, `${t.innovation}: `), p.technographics.innovation.label) : null,
    p.distinguishing_traits.length ? h('h4', {}, t.traits) : null,
    p.distinguishing_traits.length ? h('ul', { class: 'traits' }, ...p.distinguishing_traits.slice(0, 3).map((d) => h('li', {}, d.text))) : null,
    h('div', { class: 'downloads', lang: 'en' }, downloadLink(p, 'json'), downloadLink(p, 'md')),
  );
}

/**
 * A heading and a list of a persona's statements, or nothing when it has none.
 * @param {string} heading @param {string} kind @param {Persona['goals']} items
 */
function statements(heading, kind, items) {
  return items.length ? [h('h4', {}, heading), h('ul', { class: `statements ${kind}` }, ...items.map((s) => h('li', { 'data-code': s.code }, s.text)))] : [];
}

/** A link that downloads the per-persona file (fetched into a blob when the data lives on another origin). */
function downloadLink(p, ext) {
  const url = personaUrl(run.runUrl, p.segment.id, p.language, ext);
  const filename = `${p.segment.id}.${p.language}.${ext}`;
  const label = ext === 'json' ? 'Download JSON' : 'Download Markdown';
  const a = h('a', { class: 'button', href: url.href, download: filename, 'data-download': ext, 'aria-label': `${label}: ${p.identity.name} (${LANGUAGE_NAMES[p.language] ?? p.language})` }, label);
  if (url.origin !== location.origin) {
    a.addEventListener('click', async (event) => {
      event.preventDefault();
      a.parentElement?.querySelector('.download-error')?.remove();
      // An error page saved under the persona's file name would look like a download that worked.
      const res = await fetch(url).catch((error) => ({ ok: false, status: String(error) }));
      if (!res.ok) {
        a.after(h('span', { class: 'download-error', role: 'alert' }, `Download failed (${res.status}): ${filename}`));
        return;
      }
      const blob = await res.blob();
      const objectUrl = URL.createObjectURL(blob);
      const tmp = h('a', { href: objectUrl, download: filename });
      document.body.append(tmp);
      tmp.click();
      tmp.remove();
      setTimeout(() => URL.revokeObjectURL(objectUrl), 10_000);
    });
  }
  return a;
}

/* ---------- data quality ---------- */

/** A dated table's newest row and its age; customers (a snapshot) and tables without rows have none. */
function newestCell(f) {
  if (!f) return '—';
  return `${f.newest_data.slice(0, 10)} (${int(f.age_days)} d${f.status === 'fresh' ? '' : `, ${f.status.replace('_', ' ')}`})`;
}

function renderQuality() {
  const q = run.quality;
  const rows = Object.entries(q.tables).map(([name, t]) =>
    h('tr', { 'data-table': name },
      h('th', { scope: 'row' }, name),
      h('td', {}, t?.present ? 'yes' : 'no'),
      h('td', {}, int(t?.rows_read)),
      h('td', {}, int(t?.rows_accepted)),
      h('td', { 'data-rejected': t?.rows_rejected ?? 0 }, int(t?.rows_rejected)),
      h('td', {}, pct(t?.rejected_share, 'en', 2)),
      h('td', {}, int(t?.rows_after_as_of)),
      h('td', { 'data-newest': q.freshness.tables?.[name]?.newest_data ?? '' }, newestCell(q.freshness.tables?.[name])),
      h('td', {}, Object.entries(t?.rejected_by_reason ?? {}).map(([r, n]) => `${r.replaceAll('_', ' ')} ${int(n)}`).join(', ') || '—'),
    ),
  );
  replace(
    $('quality-detail'),
    h('dl', { class: 'kpis small' },
      h('div', { class: 'kpi' }, h('dt', {}, 'Gate'), h('dd', { class: `gate-${q.status}` }, q.status)),
      h('div', { class: 'kpi' }, h('dt', {}, 'Freshness'), h('dd', {}, `${q.freshness.status.replace('_', ' ')} (${q.freshness.age_days ?? '—'} d)`)),
      h('div', { class: 'kpi' }, h('dt', {}, 'Coverage'), h('dd', {}, `${int(q.coverage.with_rfm_segment)} / ${int(q.coverage.customers)}`)),
      h('div', { class: 'kpi' }, h('dt', {}, 'RFM'), h('dd', {}, `${q.rfm.status.replace('_', ' ')}, ${q.rfm.bins} bins`)),
      q.refresh ? h('div', { class: 'kpi' }, h('dt', {}, 'Refresh'), h('dd', { 'data-refresh': q.refresh.mode, title: q.refresh.reason }, q.refresh.mode)) : null,
    ),
    h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': 'Rows per input table' },
      h('table', { class: 'data-table quality-table' },
        h('caption', {}, `Rows per input table${readScope(q)} (rejected rows are quarantined with their reason, never dropped silently)`),
        h('thead', {}, h('tr', {}, ...['Table', 'Present', 'Read', 'Accepted', 'Rejected', 'Rejected share', 'After as-of', 'Newest row', 'Reasons'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, ...rows),
      ),
    ),
  );
}

void main();
