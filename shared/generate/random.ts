/**
 * Deterministic randomness as SQL expressions.
 *
 * Every random draw is `hash(hash(seed, salt, keys…))` mapped to [0, 1): a pure function of the row's identity, so the
 * data does not depend on thread scheduling, row order or DuckDB's random() state, and one draw can be re-derived
 * anywhere (e.g. the same order's return decision in two queries) without materialising it.
 */

export type Sql = string;

/** 2^53: the top 53 bits of the 64-bit hash fill a double's mantissa exactly, so u is uniform and never 1. */
const MANTISSA = '9007199254740992.0';

export interface Random {
  /** Uniform [0, 1) draw for the given row keys; `salt` separates independent draws on the same row. */
  u(salt: string, ...keys: Sql[]): Sql;
}

export function seededRandom(seed: number): Random {
  const seedSql = `${seed}::BIGINT`;
  return {
    u(salt, ...keys) {
      if (!/^[a-z0-9_]+$/.test(salt)) throw new Error(`random salt must be [a-z0-9_]+, got ${JSON.stringify(salt)}`);
      // DuckDB combines multi-argument hashes as mix(prefix) XOR hash(last), so two draws that differ only in
      // the salt would be XOR-correlated; hashing the combined value again decorrelates them.
      return `((hash(hash(${[seedSql, `'${salt}'`, ...keys].join(', ')})) >> 11)::DOUBLE / ${MANTISSA})`;
    },
  };
}

/** Index of the bucket `u` falls into, for (unnormalised) weights; zero weights are never picked. */
export function pickIndex(u: Sql, weights: readonly number[]): Sql {
  const total = weights.reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new Error('pickIndex needs at least one positive weight');
  const last = weights.reduce((best, w, i) => (w > 0 ? i : best), -1);
  let cum = 0;
  const arms: string[] = [];
  weights.forEach((w, i) => {
    if (w <= 0 || i === last) return;
    cum += w / total;
    arms.push(`WHEN ${u} < ${cum} THEN ${i}`);
  });
  return arms.length === 0 ? `${last}` : `(CASE ${arms.join(' ')} ELSE ${last} END)`;
}

/** Integer in [lo, hi] (inclusive), uniform. */
export function intBetween(u: Sql, lo: Sql | number, hi: Sql | number): Sql {
  return `(CAST(floor((${lo}) + ${u} * ((${hi}) - (${lo}) + 1)) AS INTEGER))`;
}

/** Standard normal via Box–Muller; two independent uniforms in, one N(0,1) out. */
export function normal(u1: Sql, u2: Sql): Sql {
  return `(sqrt(-2.0 * ln(greatest(${u1}, 1e-12))) * cos(2.0 * pi() * ${u2}))`;
}

/** A SQL string literal. */
export function str(value: string): Sql {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A SQL VARCHAR list literal, used as a lookup table indexed by small integer codes (1-based in SQL). */
export function strList(values: readonly string[]): Sql {
  return `([${values.map(str).join(', ')}]::VARCHAR[])`;
}

/** `CASE <selector> WHEN 0 THEN … WHEN 1 THEN … END` over per-archetype (or per-code) expressions. */
export function caseOf(selector: Sql, arms: readonly Sql[], fallback: Sql = 'NULL'): Sql {
  return `(CASE ${selector} ${arms.map((a, i) => `WHEN ${i} THEN ${a}`).join(' ')} ELSE ${fallback} END)`;
}

/** Aligns a sparse `{ value: weight }` map to a value list, so enum-coded picks index straight into that list. */
export function weightsFor<T extends string>(values: readonly T[], weights: Partial<Record<T, number>>): number[] {
  for (const key of Object.keys(weights)) {
    if (!values.includes(key as T)) throw new Error(`weight for unknown value ${JSON.stringify(key)}`);
  }
  return values.map((v) => weights[v] ?? 0);
}

/** Position of `value` in `values`: the integer code a compact table stores instead of the string. */
export function codeOf<T extends string>(values: readonly T[], value: NoInfer<T>): number {
  const i = values.indexOf(value);
  if (i < 0) throw new Error(`${JSON.stringify(value)} is not one of ${values.join(', ')}`);
  return i;
}

/**
 * A set of draws on the same row keys, emitted as columns of an inner SELECT and referenced by name.
 * pickIndex and CASE arms mention their uniform several times; a column reference costs nothing, whereas an
 * inline hash expression would be re-evaluated per mention (DuckDB does not de-duplicate inside CASE arms).
 */
export class Draws {
  private readonly exprs = new Map<string, Sql>();
  constructor(
    private readonly rnd: Random,
    private readonly keys: readonly Sql[],
    private readonly prefix: string,
  ) {}

  /** Column name holding the draw for `salt`. */
  u(salt: string): Sql {
    const name = `${this.prefix}${salt}`;
    if (!this.exprs.has(name)) this.exprs.set(name, this.rnd.u(salt, ...this.keys));
    return name;
  }

  /** `expr AS name, …` for every draw requested so far; call after building the expressions that use them. */
  columns(): Sql {
    if (this.exprs.size === 0) return '';
    return [...this.exprs].map(([name, expr]) => `${expr} AS ${name}`).join(',\n    ');
  }

  /** `, expr AS name, …` or nothing, for appending to a select list. */
  withComma(): Sql {
    const c = this.columns();
    return c ? `, ${c}` : '';
  }
}
