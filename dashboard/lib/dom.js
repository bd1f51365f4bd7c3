// Small DOM and formatting helpers. Every data value reaches the page through textContent or an attribute,
// never through innerHTML, so a segment name or a category from the data cannot inject markup.

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * Creates an HTML element.
 * @param {string} tag
 * @param {Record<string, string | number | boolean | null | undefined | ((e: Event) => void)>} [attrs]
 * @param {...(Node | string | number | null | undefined | false)} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  applyAttrs(el, attrs);
  append(el, children);
  return el;
}

/**
 * Creates an SVG element.
 * @param {string} tag
 * @param {Record<string, string | number | boolean | null | undefined>} [attrs]
 * @param {...(Node | string | number | null | undefined | false)} children
 * @returns {SVGElement}
 */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  applyAttrs(el, attrs);
  append(el, children);
  return el;
}

/** @param {Element} el @param {Record<string, any>} attrs */
function applyAttrs(el, attrs) {
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'text') el.textContent = String(value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
}

/** @param {Element} el @param {any[]} children */
function append(el, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** @param {Element} el @param {...(Node | string | null | undefined | false)} children */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

const numberFormats = new Map();
/** @param {string} locale @param {Intl.NumberFormatOptions} options */
function nf(locale, options) {
  const key = locale + JSON.stringify(options);
  if (!numberFormats.has(key)) numberFormats.set(key, new Intl.NumberFormat(locale, options));
  return numberFormats.get(key);
}

/** Whole numbers with grouping: 19,999. @param {number | null | undefined} n @param {string} [locale] */
export function int(n, locale = 'en') {
  return n === null || n === undefined ? '—' : nf(locale, { maximumFractionDigits: 0 }).format(n);
}

/** @param {number | null | undefined} n @param {number} [digits] @param {string} [locale] */
export function num(n, digits = 2, locale = 'en') {
  return n === null || n === undefined ? '—' : nf(locale, { minimumFractionDigits: 0, maximumFractionDigits: digits }).format(n);
}

/**
 * Money in the documents' reporting currency (ISO 4217), or a plain number when they name none.
 * @param {number | null | undefined} n @param {string} [locale] @param {string | null} [currency] @param {number} [digits]
 */
export function money(n, locale = 'en', currency = null, digits = 2) {
  return moneyIn(locale, currency, { minimumFractionDigits: digits, maximumFractionDigits: digits }, n);
}

/**
 * A large total for a tile: whole units up to a million, then compact (€10M, 1.2M) so it fits the tile's width.
 * @param {number | null | undefined} n @param {string | null} [currency]
 */
export function moneyTotal(n, currency = null) {
  const digits = Math.abs(n ?? 0) >= 1e6 ? { notation: 'compact', minimumFractionDigits: 0, maximumFractionDigits: 1 } : { minimumFractionDigits: 0, maximumFractionDigits: 0 };
  return moneyIn('en', currency, digits, n);
}

/**
 * @param {string} locale @param {string | null} currency @param {Intl.NumberFormatOptions} options
 * @param {number | null | undefined} n
 */
function moneyIn(locale, currency, options, n) {
  return n === null || n === undefined ? '—' : nf(locale, currency ? { style: 'currency', currency, ...options } : options).format(n);
}

/** Share 0–1 as a percentage: 8.6%. @param {number | null | undefined} n @param {string} [locale] */
export function pct(n, locale = 'en', digits = 1) {
  return n === null || n === undefined ? '—' : nf(locale, { style: 'percent', minimumFractionDigits: 0, maximumFractionDigits: digits }).format(n);
}

/** Compact axis numbers: 1.2K. @param {number} n */
export function compact(n) {
  return nf('en', { notation: 'compact', maximumFractionDigits: 2 }).format(n);
}

/** @param {string | null | undefined} iso */
export function dateTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC').replace(/:\d\dZ$/, ' UTC');
}

/**
 * Calls render(width) with the element's width as soon as it is laid out, and again whenever the width changes
 * (debounced). A chart is only drawn at its real width, never at a guess.
 */
export function renderResponsive(el, render) {
  let last = -1;
  let timer = 0;
  const run = () => {
    const width = Math.round(el.clientWidth);
    if (width === last || width === 0) return;
    last = width;
    render(width);
  };
  if (el.isConnected) run();
  new ResizeObserver(() => {
    if (last === -1) return run();
    clearTimeout(timer);
    timer = window.setTimeout(run, 80);
  }).observe(el);
}
