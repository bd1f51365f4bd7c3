// Locating and loading the published documents. Everything is fetched by URL relative to one data root, so the
// dashboard works from `npm run dashboard`, from the results bucket behind CloudFront, or from any static host.
//
// Data root, first match wins:
//   1. ?data=<url>  (absolute, or relative to this page; e.g. ?data=../ or ?data=https://results.example.com/)
//   2. <meta name="segments-data-root" content="../"> in index.html (edit at deploy time)
//   3. "../"  — the dashboard synced to <bucket>/dashboard/, the documents at the bucket's root
// Run: ?run=<run_id> shows runs/<run_id>/, otherwise the run latest.json points at.

/**
 * @typedef {import('../../shared/contracts/outputs.ts').LatestPointer} LatestPointer
 * @typedef {import('../../shared/contracts/outputs.ts').SegmentsDocument} SegmentsDocument
 * @typedef {import('../../shared/contracts/outputs.ts').PersonasDocument} PersonasDocument
 * @typedef {import('../../shared/contracts/outputs.ts').Persona} Persona
 * @typedef {import('../../shared/contracts/outputs.ts').QualityDocument} QualityDocument
 * @typedef {import('../../shared/contracts/outputs.ts').MigrationDocument} MigrationDocument
 * @typedef {import('../../shared/contracts/outputs.ts').HistoryDocument} HistoryDocument
 */

export class NotFoundError extends Error {}

/** @returns {URL} */
export function dataRoot() {
  const params = new URLSearchParams(location.search);
  const meta = /** @type {HTMLMetaElement | null} */ (document.querySelector('meta[name="segments-data-root"]'));
  const raw = params.get('data') || meta?.content || '../';
  const url = new URL(raw, location.href);
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

/** @param {URL} url */
export async function fetchJson(url) {
  const res = await fetch(url, { cache: 'no-cache', credentials: 'same-origin' });
  if (res.status === 404 || res.status === 403) throw new NotFoundError(`${url.href}: ${res.status}`);
  if (!res.ok) throw new Error(`${url.href}: HTTP ${res.status}`);
  return res.json();
}

/** Like fetchJson, but a missing document is null (migration.json and history.json are newer than the rest). */
async function optionalJson(url) {
  try {
    return await fetchJson(url);
  } catch (error) {
    if (error instanceof NotFoundError) return null;
    throw error;
  }
}

/**
 * Loads the run: latest.json (or ?run=), then its documents in parallel.
 * @returns {Promise<{ root: URL, runUrl: URL, latest: LatestPointer | null, segments: SegmentsDocument, personas: PersonasDocument, quality: QualityDocument, migration: MigrationDocument | null, history: HistoryDocument | null }>}
 */
export async function loadRun() {
  const root = dataRoot();
  const requested = new URLSearchParams(location.search).get('run');
  /** @type {LatestPointer | null} */
  let latest = null;
  let prefix;
  if (requested) {
    if (!/^[\w.-]+$/.test(requested)) throw new Error(`?run= must be a run id; got “${requested}”`);
    prefix = `runs/${requested}/`;
  } else {
    latest = await fetchJson(new URL('latest.json', root));
    prefix = latest.prefix;
  }
  const runUrl = new URL(prefix, root);
  const [segments, personas, quality, migration, history] = await Promise.all([
    fetchJson(new URL('segments.json', runUrl)),
    fetchJson(new URL('personas.json', runUrl)),
    fetchJson(new URL('quality.json', runUrl)),
    optionalJson(new URL('migration.json', runUrl)),
    optionalJson(new URL('history.json', runUrl)),
  ]);
  return { root, runUrl, latest, segments, personas, quality, migration, history };
}

/** URL of one per-persona file. @param {URL} runUrl @param {string} segmentId @param {string} lang @param {'json' | 'md'} ext */
export function personaUrl(runUrl, segmentId, lang, ext) {
  return new URL(`personas/${encodeURIComponent(segmentId)}.${lang}.${ext}`, runUrl);
}

const personaCache = new Map();
/**
 * The personas in one language, from personas/<segment>.<lang>.json (the document language from personas.json).
 * @param {URL} runUrl @param {PersonasDocument} doc @param {string} lang @returns {Promise<Persona[]>}
 */
export async function personasIn(runUrl, doc, lang) {
  if (lang === doc.language) return doc.personas;
  const key = `${runUrl.href}|${lang}`;
  if (!personaCache.has(key)) {
    const promise = Promise.all(doc.personas.map((p) => fetchJson(personaUrl(runUrl, p.segment.id, lang, 'json'))));
    promise.catch(() => personaCache.delete(key));
    personaCache.set(key, promise);
  }
  return personaCache.get(key);
}
