// Hand-written SVG charts. Each chart is drawn at the container's pixel width (redrawn on resize) so text stays
// readable on a phone, carries an aria-label with its numbers, and is paired with a data table by the caller.
import { compact, h, int, renderResponsive, replace, s } from './dom.js';

/** Colour-blind-friendly palette (Okabe–Ito plus darker tones), all ≥ 3:1 against white. */
export const PALETTE = ['#0b5cad', '#c75100', '#007a5a', '#a3327d', '#6a4fb3', '#8a6d00', '#00788a', '#b3261e', '#4d6b00', '#5b5b5b', '#1b1f24', '#7a4a1e'];

/**
 * @typedef {{ key: string, label: string, className: string }} BarSeries
 * @typedef {{ id: string, label: string, values: Record<string, number | null>, texts: Record<string, string>, attrs?: Record<string, string | number> }} BarRow
 */

/**
 * Horizontal grouped bar chart: one row per item, one bar per series.
 * @param {HTMLElement} container
 * @param {{ rows: BarRow[], series: BarSeries[], max?: number, label: string, className?: string }} opts
 */
export function barChart(container, opts) {
  const { rows, series } = opts;
  const max = opts.max ?? Math.max(1e-9, ...rows.flatMap((r) => series.map((se) => r.values[se.key] ?? 0)));
  const figure = h('div', { class: `chart bar-chart ${opts.className ?? ''}` });
  container.append(figure);
  renderResponsive(figure, (width) => {
    const narrow = width < 560;
    const barH = 14;
    const gap = 4;
    const labelW = narrow ? 0 : Math.min(300, Math.round(width * 0.4));
    const labelH = narrow ? 18 : 0;
    const rowH = labelH + series.length * (barH + gap) + 10;
    const valueW = 120;
    const barMax = Math.max(40, width - labelW - valueW - 8);
    const height = rows.length * rowH + 4;
    const svg = s('svg', {
      width,
      height,
      viewBox: `0 0 ${width} ${height}`,
      role: 'img',
      'aria-label': `${opts.label}. ${rows.map((r) => `${r.label}: ${series.map((se) => `${se.label} ${r.texts[se.key]}`).join(', ')}`).join('; ')}.`,
    });
    rows.forEach((row, i) => {
      const y0 = i * rowH + 4;
      const g = s('g', { class: 'bar-row', 'data-id': row.id, ...(row.attrs ?? {}) });
      const labelY = narrow ? y0 + 13 : y0 + (series.length * (barH + gap)) / 2 + 4;
      g.append(s('text', { class: 'bar-label', x: narrow ? 0 : labelW - 10, y: labelY, 'text-anchor': narrow ? 'start' : 'end' }, fit(row.label, narrow ? 60 : Math.floor(labelW / 6.6))));
      series.forEach((se, j) => {
        const value = row.values[se.key];
        const y = y0 + labelH + j * (barH + gap);
        const w = value === null || value === undefined ? 0 : Math.max(value > 0 ? 1 : 0, (value / max) * barMax);
        g.append(
          s('rect', { class: `bar ${se.className}`, x: labelW, y, width: w.toFixed(1), height: barH, rx: 2, 'data-series': se.key, 'data-value': value ?? '' },
            s('title', {}, `${row.label} — ${se.label}: ${row.texts[se.key]}`)),
          s('text', { class: 'bar-value', x: labelW + w + 6, y: y + barH - 3, 'data-series': se.key }, row.texts[se.key] ?? '—'),
        );
      });
      svg.append(g);
    });
    replace(figure, svg);
    // Characters differ in width ("m" against "i"): measure each right-aligned label and shorten it until it fits
    // its column, so a long segment name never runs off the chart's left edge.
    if (!narrow) {
      svg.querySelectorAll('text.bar-label').forEach((el, i) => {
        const label = /** @type {SVGTextElement} */ (el);
        for (let chars = label.textContent?.length ?? 0; chars > 2 && label.getComputedTextLength() > labelW - 14; chars--) label.textContent = fit(rows[i].label, chars - 1);
      });
    }
  });
  return figure;
}

/** Shortens a label for the chart; the full text stays in the table and the aria-label. */
function fit(text, chars) {
  return text.length <= chars ? text : `${text.slice(0, Math.max(1, chars - 1))}…`;
}

/**
 * Line chart: x = runs (oldest first), y = value; one line and one point per run for each series.
 * @param {HTMLElement} container
 * @param {{ runs: { run_id: string, as_of: string }[], series: { id: string, label: string, values: (number | null)[] }[], label: string, yLabel: string }} opts
 */
export function lineChart(container, opts) {
  const { runs, series } = opts;
  const figure = h('div', { class: 'chart line-chart' });
  const legend = h('ul', { class: 'legend', 'aria-label': 'Legend' });
  series.forEach((se, i) => {
    const last = [...se.values].reverse().find((v) => v !== null && v !== undefined);
    legend.append(h('li', {}, h('span', { class: `swatch c${i % PALETTE.length}`, 'aria-hidden': 'true' }), `${se.label} `, h('span', { class: 'muted' }, int(last))));
  });
  container.append(figure, legend);
  const values = series.flatMap((se) => se.values.filter((v) => v !== null && v !== undefined));
  const ticks = countTicks(Math.max(0, ...values));
  const yMax = ticks.at(-1) ?? 1;
  renderResponsive(figure, (width) => {
    const height = width < 560 ? 220 : 280;
    const pad = { left: 52, right: 18, top: 14, bottom: 42 };
    const plotW = width - pad.left - pad.right;
    const plotH = height - pad.top - pad.bottom;
    const x = (i) => pad.left + (runs.length === 1 ? plotW / 2 : (i / (runs.length - 1)) * plotW);
    const y = (v) => pad.top + plotH - (v / yMax) * plotH;
    const svg = s('svg', {
      width,
      height,
      viewBox: `0 0 ${width} ${height}`,
      role: 'img',
      'aria-label': `${opts.label}. ${runs.length} run${runs.length === 1 ? '' : 's'} from ${runs[0]?.as_of} to ${runs.at(-1)?.as_of}. ${series
        .map((se) => `${se.label}: ${se.values.map((v) => int(v)).join(' → ')}`)
        .join('; ')}.`,
    });
    const axis = s('g', { class: 'axis', 'aria-hidden': 'true' });
    for (const v of ticks) {
      axis.append(
        s('line', { class: 'grid', x1: pad.left, x2: width - pad.right, y1: y(v), y2: y(v) }),
        s('text', { x: pad.left - 8, y: y(v) + 4, 'text-anchor': 'end' }, compact(v)),
      );
    }
    const every = Math.max(1, Math.ceil(runs.length / Math.max(1, Math.floor(plotW / 90))));
    runs.forEach((run, i) => {
      if (i % every !== 0 && i !== runs.length - 1) return;
      const anchor = runs.length === 1 ? 'middle' : i === 0 ? 'start' : i === runs.length - 1 ? 'end' : 'middle';
      const repeated = runs.filter((r) => r.as_of === run.as_of).length > 1; // reruns of one as-of date
      const text = repeated ? `${run.as_of} #${runs.slice(0, i + 1).filter((r) => r.as_of === run.as_of).length}` : run.as_of;
      axis.append(s('text', { x: x(i) + (anchor === 'start' ? -4 : anchor === 'end' ? 4 : 0), y: height - pad.bottom + 20, 'text-anchor': anchor, 'data-run-id': run.run_id }, text));
    });
    axis.append(s('text', { x: pad.left, y: height - 6, class: 'axis-title' }, `as-of date · y: ${opts.yLabel}`));
    svg.append(axis);
    series.forEach((se, si) => {
      const cls = `c${si % PALETTE.length}`;
      const g = s('g', { class: `series ${cls}`, 'data-segment-id': se.id });
      const pts = se.values.map((v, i) => (v === null || v === undefined ? null : [x(i), y(v)]));
      const d = pts.reduce((acc, p, i) => (p ? `${acc}${acc && pts[i - 1] ? 'L' : 'M'}${p[0].toFixed(1)},${p[1].toFixed(1)}` : acc), '');
      if (d) g.append(s('path', { class: 'line', d }));
      se.values.forEach((v, i) => {
        if (v === null || v === undefined) return;
        const run = runs[i];
        g.append(
          s('circle', { class: 'point', cx: x(i).toFixed(1), cy: y(v).toFixed(1), r: 3.5, 'data-run-id': run?.run_id ?? '', 'data-as-of': run?.as_of ?? '', 'data-value': v },
            s('title', {}, `${se.label}, ${run?.as_of}: ${int(v)}`)),
        );
      });
      svg.append(g);
    });
    replace(figure, svg);
  });
  return figure;
}

/**
 * The y-axis ticks for counts from 0 up to `max`: at most five intervals of one round step (1, 2, 2.5 or 5 × 10^k,
 * a whole number), so that every label is exact in compact form (2.5K, not 1.3K for 1,250).
 * @param {number} max
 * @returns {number[]}
 */
export function countTicks(max) {
  const exp = 10 ** Math.floor(Math.log10(Math.max(1, max / 5)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * exp).filter(Number.isInteger).find((st) => st * 5 >= max) ?? 10 * exp;
  const n = Math.max(1, Math.ceil(max / step));
  return Array.from({ length: n + 1 }, (_, i) => i * step);
}

/**
 * From → to matrix as a table (rows: previous segment, columns: current segment), cells shaded by count.
 * @param {{ flows: { from: string | null, to: string | null, customers: number }[], order: string[], names: Map<string, string>, caption: string, kind: string }} opts
 */
export function migrationMatrix(opts) {
  const { flows } = opts;
  const ids = [...opts.order];
  for (const f of flows) for (const id of [f.from, f.to]) if (id !== null && !ids.includes(id)) ids.push(id);
  const fromIds = ids.filter((id) => flows.some((f) => f.from === id));
  const toIds = ids.filter((id) => flows.some((f) => f.to === id));
  /** @type {(string | null)[]} */
  const rowsKeys = [...fromIds, ...(flows.some((f) => f.from === null) ? [null] : [])];
  /** @type {(string | null)[]} */
  const colKeys = [...toIds, ...(flows.some((f) => f.to === null) ? [null] : [])];
  const count = new Map(flows.map((f) => [`${f.from}\u0000${f.to}`, f.customers]));
  const max = Math.max(1, ...flows.filter((f) => f.from !== f.to).map((f) => f.customers));
  const name = (id, fallback) => (id === null ? fallback : opts.names.get(id) ?? id);

  const table = h('table', { class: 'matrix', 'data-kind': opts.kind });
  table.append(h('caption', {}, opts.caption));
  const head = h('tr', {}, h('th', { scope: 'col', class: 'corner' }, h('span', { class: 'from-label' }, 'from ↓'), ' ', h('span', { class: 'to-label' }, 'to →')));
  for (const c of colKeys) head.append(h('th', { scope: 'col', 'data-to': c ?? '', class: c === null ? 'pseudo' : null }, name(c, '(departed)')));
  head.append(h('th', { scope: 'col' }, 'total'));
  table.append(h('thead', {}, head));
  const body = h('tbody');
  const colTotals = colKeys.map(() => 0);
  for (const r of rowsKeys) {
    const tr = h('tr', {}, h('th', { scope: 'row', 'data-from': r ?? '', class: r === null ? 'pseudo' : null }, name(r, '(new customers)')));
    let total = 0;
    colKeys.forEach((c, ci) => {
      const n = count.get(`${r}\u0000${c}`) ?? 0;
      total += n;
      colTotals[ci] = (colTotals[ci] ?? 0) + n;
      const stay = r !== null && r === c;
      const level = n === 0 ? 0 : stay ? 'stay' : Math.min(5, 1 + Math.floor((n / max) * 4.999));
      const td = h('td', { class: `heat heat-${level}`, 'data-from': r ?? '', 'data-to': c ?? '', 'data-count': n }, n === 0 ? '·' : int(n));
      td.setAttribute('aria-label', `${name(r, '(new customers)')} → ${name(c, '(departed)')}: ${int(n)} customers${stay ? ' (stayed)' : ''}`);
      tr.append(td);
    });
    tr.append(h('td', { class: 'total' }, int(total)));
    body.append(tr);
  }
  const totalRow = h('tr', { class: 'totals' }, h('th', { scope: 'row' }, 'total'));
  colTotals.forEach((t) => totalRow.append(h('td', { class: 'total' }, int(t))));
  totalRow.append(h('td', { class: 'total' }, int(colTotals.reduce((a, b) => a + b, 0))));
  body.append(totalRow);
  table.append(body);
  return h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': opts.caption }, table);
}
