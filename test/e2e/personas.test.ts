import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseSegmentsConfig } from '../../shared/contracts/config.ts';
import { ManifestDocument, Persona, PERSONA_LANGUAGES, PersonasDocument, SegmentsDocument } from '../../shared/contracts/outputs.ts';
import { generateLake } from '../../shared/generate/generate-lake.ts';
import { refreshLocal } from '../../shared/pipeline/local.ts';
import { tempDir } from '../helpers/duckdb.ts';
import { readJson, readParquetRows } from '../helpers/outputs.ts';

/**
 * Personas end to end: the refresh writes personas.json, one JSON and one Markdown file per persona and language
 * (each validated here with the published zod schema), and the BI table under tables/; and, on a hand-made lake
 * with a segment of one and a unique city, never names a customer or a rare value.
 */
const AS_OF = '2026-06-30';

describe('personas on a generated lake', () => {
  let runDir: string;
  let doc: PersonasDocument;
  let files: string[];

  beforeAll(async () => {
    const lake = path.join(await tempDir('persona-lake'), 'lake');
    const out = await tempDir('persona-out');
    await generateLake({ customers: 2_000, seed: 11, out: lake, asOf: AS_OF });
    const result = await refreshLocal({ lakeDir: lake, outDir: out, asOf: AS_OF });
    runDir = path.join(out, result.prefix);
    doc = PersonasDocument.parse(await readJson(path.join(runDir, 'personas.json')));
    files = (await readdir(path.join(runDir, 'personas'))).sort();
  });

  it('writes a persona per segment of at least 50 customers, in every language, each file valid against the schema', async () => {
    const segments = await readJson<SegmentsDocument>(path.join(runDir, 'segments.json'));
    const eligible = segments.segments.filter((s) => s.kind !== 'all' && s.size >= 50).map((s) => s.id);
    expect(doc.language).toBe('en');
    expect(doc.languages).toEqual([...PERSONA_LANGUAGES]);
    expect(doc.personas.map((p) => p.segment.id)).toEqual(eligible);
    expect(doc.suppressed.map((s) => s.segment_id).sort()).toEqual(segments.segments.filter((s) => s.kind !== 'all' && s.size < 50).map((s) => s.id).sort());
    expect(files).toHaveLength(eligible.length * PERSONA_LANGUAGES.length * 2);
    for (const id of eligible) {
      for (const language of PERSONA_LANGUAGES) {
        const persona = Persona.parse(await readJson(path.join(runDir, 'personas', `${id}.${language}.json`)));
        expect(persona).toMatchObject({ language, run_id: doc.provenance.run_id, as_of: AS_OF, segment: { id } });
        const md = await readFile(path.join(runDir, 'personas', `${id}.${language}.md`), 'utf8');
        expect(md.startsWith(`# ${persona.identity.name} — ${persona.identity.archetype.label}`)).toBe(true);
      }
    }
    // The same persona in two languages: same facts, different text.
    const en = Persona.parse(await readJson(path.join(runDir, 'personas', `${eligible[0]}.en.json`)));
    const de = Persona.parse(await readJson(path.join(runDir, 'personas', `${eligible[0]}.de.json`)));
    expect(de.behaviour).toEqual({ ...en.behaviour, top_categories: de.behaviour.top_categories, order_channels: de.behaviour.order_channels });
    expect(de.identity.story.text).not.toBe(en.identity.story.text);
  });

  it('derives the personas from the data: the planted archetypes surface in their segments', () => {
    const byId = new Map(doc.personas.map((p) => [p.segment.id, p]));
    expect(byId.get('cart_abandoners')?.pain_points.map((p) => p.code)).toContain('checkout_friction');
    expect(byId.get('serial_returners')?.pain_points.map((p) => p.code)).toContain('fit_quality_doubts');
    expect(byId.get('no_purchase')?.identity.archetype.code).toBe('browser');
    for (const p of doc.personas) {
      for (const item of [...p.goals, ...p.pain_points, ...p.motivations, ...p.next_actions, ...p.distinguishing_traits]) expect(item.evidence.length).toBeGreaterThan(0);
      expect(p.coverage.age_band).toBe(p.demographics.age_band.known_share);
    }
  });

  it('keeps the BI tables under tables/, apart from the persona files, and lists every file in the manifest', async () => {
    const manifest = ManifestDocument.parse(await readJson(path.join(runDir, 'manifest.json')));
    const keys = manifest.files.map((f) => f.key.slice(doc.provenance.run_id.length + 6));
    expect(keys).toEqual(expect.arrayContaining(['tables/personas/part-00000.jsonl', 'tables/segment_summary/part-00000.jsonl', ...files.map((f) => `personas/${f}`)]));
    expect(files.some((f) => f.endsWith('.jsonl'))).toBe(false);
    const rows = (await readFile(path.join(runDir, 'tables', 'personas', 'part-00000.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.map((r) => r.segment_id)).toEqual(doc.personas.map((p) => p.segment.id));
  });

  it('never contains a customer id', async () => {
    const ids = new Set((await readParquetRows(path.join(runDir, 'customer_segments', '*.parquet'))).map((r) => String(r.customer_id)));
    const texts = [await readFile(path.join(runDir, 'personas.json'), 'utf8'), ...(await Promise.all(files.map((f) => readFile(path.join(runDir, 'personas', f), 'utf8'))))];
    for (const text of texts) {
      for (const token of text.match(/[\w-]+/g) ?? []) expect(ids.has(token), token).toBe(false);
    }
  });
});

describe('personas on adversarial data', () => {
  it('suppresses a segment of one and folds a unique city, occupation and interest into other', async () => {
    const lake = await tempDir('persona-adversarial');
    await mkdir(path.join(lake, 'customers'));
    await mkdir(path.join(lake, 'orders'));
    const customers = ['customer_id,birth_year,gender,country,region,city,occupation,interests'];
    const orders = ['order_id,customer_id,order_ts,amount,category,channel,country'];
    for (let i = 0; i < 150; i++) {
      const unique = i === 0;
      const id = unique ? 'zz-only-one' : `c-${i}`;
      customers.push(`${id},${1960 + (i % 40)},${i % 2 ? 'female' : 'male'},NO,${unique ? 'Nowhere' : 'Oslo'},${unique ? 'Uniqueville' : 'Oslo'},${unique ? 'astronaut' : 'teacher'},${unique ? 'falconry' : 'hiking'}`);
      for (let o = 0; o <= i % 3; o++) orders.push(`o-${i}-${o},${id},2026-06-${String(1 + ((i + o) % 28)).padStart(2, '0')}T10:00:00Z,${10 + (i % 50)}.50,${unique ? 'spaceships' : 'books'},web,NO`);
    }
    await writeFile(path.join(lake, 'customers', 'customers.csv'), `${customers.join('\n')}\n`);
    await writeFile(path.join(lake, 'orders', 'orders.csv'), `${orders.join('\n')}\n`);
    const config = parseSegmentsConfig({
      version: 1,
      personas: { languages: ['nb', 'en'] },
      segments: [{ id: 'solo', name: 'Solo', rule: { feature: 'city', op: 'eq', value: 'Uniqueville' } }],
    });
    const out = await tempDir('persona-adversarial-out');
    const result = await refreshLocal({ lakeDir: lake, outDir: out, asOf: AS_OF, config });
    const runDir = path.join(out, result.prefix);
    const doc = PersonasDocument.parse(await readJson(path.join(runDir, 'personas.json')));
    expect(doc.language).toBe('nb');
    expect(doc.suppressed).toContainEqual({ segment_id: 'solo', segment_kind: 'rule', size: 1, reason: 'below_min_segment_size' });
    const files = await readdir(path.join(runDir, 'personas'));
    expect(files.filter((f) => f.startsWith('solo.'))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.nb.json')).length).toBe(doc.personas.length);
    const texts = [
      await readFile(path.join(runDir, 'personas.json'), 'utf8'),
      await readFile(path.join(runDir, 'tables', 'personas', 'part-00000.jsonl'), 'utf8'),
      ...(await Promise.all(files.map((f) => readFile(path.join(runDir, 'personas', f), 'utf8')))),
    ];
    for (const text of texts) {
      for (const secret of ['zz-only-one', 'Uniqueville', 'Nowhere', 'astronaut', 'falconry', 'spaceships']) expect(text).not.toContain(secret);
    }
    const everyone = doc.personas.find((p) => p.segment.size === 150)!;
    expect(everyone.demographics.occupation).toMatchObject({ dominant: 'teacher', other: { customers: 1, values: 1 } });
    expect(everyone.geography.region.values.map((v) => v.value)).toEqual(['Oslo']);
  });
});
