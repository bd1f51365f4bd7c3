import { ARCHETYPE_SPECS, type ArchetypeSpec } from './archetypes.ts';
import { caseOf, type Sql } from './random.ts';

/**
 * Archetype-dependent SQL. A row's archetype is the `arch` column (index into ARCHETYPE_SPECS).
 * Lookups into constant lists are used instead of `CASE arch …` wherever possible: at tens of millions of rows,
 * nested CASEs (9 archetypes × up to 14 weighted arms) cost several times more than one list index.
 */

/** Slots per archetype in weighted-pick tables: weights are honoured to 0.1%. */
const PICK_SLOTS = 1000;

/** `CASE arch WHEN 0 THEN … END`, for expressions that are not a plain number or pick. */
export function perArchetype(fn: (spec: ArchetypeSpec, index: number) => Sql): Sql {
  return caseOf('arch', ARCHETYPE_SPECS.map(fn));
}

/** The archetype's number, e.g. its return rate. */
export function archNumber(fn: (spec: ArchetypeSpec) => number): Sql {
  return `([${ARCHETYPE_SPECS.map((a) => fn(a)).join(', ')}]::DOUBLE[])[arch + 1]`;
}

/** Integer in the archetype's inclusive range, uniform in `u`. */
export function archIntBetween(u: Sql, fn: (spec: ArchetypeSpec) => readonly [number, number]): Sql {
  const lo = `([${ARCHETYPE_SPECS.map((a) => fn(a)[0]).join(', ')}]::INTEGER[])[arch + 1]`;
  const span = `([${ARCHETYPE_SPECS.map((a) => fn(a)[1] - fn(a)[0] + 1).join(', ')}]::INTEGER[])[arch + 1]`;
  return `(${lo} + CAST(floor(${u} * ${span}) AS INTEGER))`;
}

/**
 * Weighted pick per archetype: `codes[i]` (default i) with probability weights(spec)[i] / sum.
 * One flat list holds PICK_SLOTS entries per archetype, laid out as the inverse CDF; zero weights get no slot.
 */
export function archPick(u: Sql, weights: (spec: ArchetypeSpec) => readonly number[], codes?: readonly number[]): Sql {
  const table = ARCHETYPE_SPECS.flatMap((a) => {
    const w = weights(a);
    const total = w.reduce((s, x) => s + x, 0);
    if (!(total > 0)) throw new Error(`archetype ${a.name}: a weighted pick needs a positive weight`);
    const slots: number[] = [];
    let i = 0;
    let cum = w[0] ?? 0;
    for (let s = 0; s < PICK_SLOTS; s++) {
      const target = ((s + 0.5) / PICK_SLOTS) * total;
      while (cum <= target && i < w.length - 1) cum += w[++i] ?? 0;
      slots.push(codes ? (codes[i] ?? i) : i);
    }
    return slots;
  });
  return `([${table.join(',')}]::INTEGER[])[arch * ${PICK_SLOTS} + CAST(floor(${u} * ${PICK_SLOTS}) AS INTEGER) + 1]`;
}
