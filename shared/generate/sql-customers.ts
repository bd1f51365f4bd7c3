import { EDUCATION_LEVELS, GENDERS, INCOME_BANDS, MARITAL_STATUSES } from '../contracts/lake.ts';
import { DEFAULT_EDUCATION, type ArchetypeSpec } from './archetypes.ts';
import { badReasonSql, isReason } from './bad-rows.ts';
import { COUNTRIES, INTERESTS, LIFESTYLES, OCCUPATIONS } from './catalogues.ts';
import { customerIdSql, type GenContext } from './context.ts';
import { messyEnum, missingValue, sometimesBlank } from './messiness.ts';
import { archIntBetween, archNumber, archPick, perArchetype } from './per-archetype.ts';
import { Draws, intBetween, pickIndex, strList, weightsFor, type Sql } from './random.ts';
import { isoSql } from './sql-time.ts';
import type { OutColumn } from './writer.ts';

/**
 * `cust_rows`: the customers table as written — one row per customer, two for the ~1.5% whose address changed
 * (version 0 = old address, older updated_at; version 1 = current). Demographics are partly missing, as in
 * real CRM exports, so coverage stays well below 100%.
 */

/** Share of customers exported twice because their address changed during the period. */
const ADDRESS_CHANGE_RATE = 0.015;

/** Share of values missing per column. */
const MISSING = {
  birth_year: 0.12,
  gender: 0.1,
  income_band: 0.18,
  education: 0.15,
  marital_status: 0.14,
  occupation: 0.15,
  country: 0.04,
  place: 0.1,
  interests: 0.15,
  lifestyle: 0.18,
  opt_in: 0.03,
} as const;

/** Tag probabilities: archetype favourites are likely, anything else occasional. */
const FAVOURITE_TAG_P = 0.5;
const OTHER_TAG_P = 0.07;

export function customerRowsSql(ctx: GenContext): Sql {
  const { rnd, cal } = ctx;
  const dn = new Draws(rnd, ['num'], 'un_');
  const dv = new Draws(rnd, ['num', 'version'], 'uv_');
  const u = (salt: string) => dn.u(salt);
  const uv = (salt: string) => dv.u(salt);
  const missing = (col: keyof typeof MISSING) => `${u(`miss_${col}`)} < ${MISSING[col]}`;
  const days = cal.period.days;
  const placeCounts = `[${COUNTRIES.map((c) => c.places.length).join(', ')}]`;
  const regions = `[${COUNTRIES.map((c) => strList(c.places.map((p) => p[0]))).join(', ')}]`;
  const cities = `[${COUNTRIES.map((c) => strList(c.places.map((p) => p[1]))).join(', ')}]`;

  const tagProbs = (favourites: (a: ArchetypeSpec) => readonly string[], all: readonly string[]) =>
    perArchetype((a) => `[${all.map((t) => (favourites(a).includes(t) ? FAVOURITE_TAG_P : OTHER_TAG_P)).join(', ')}]::DOUBLE[]`);
  // One draw per (customer, tag). The probability list is a per-row column: a constant list referenced inside
  // the lambda would be rebuilt for every element.
  const tags = (all: readonly string[], probs: Sql, salt: string) => `list_filter(${strList(all)}, lambda x, i: ${rnd.u(salt, 'num', 'i')} < ${probs}[i])`;

  // Young people are mostly single; widowhood shows up in older cohorts.
  const marital = `(CASE
    WHEN birth_year >= 1996 THEN ${pickIndex(u('marital'), weightsFor(MARITAL_STATUSES, { single: 70, partnered: 22, married: 8 }))}
    WHEN birth_year < 1955 THEN ${pickIndex(u('marital'), weightsFor(MARITAL_STATUSES, { single: 10, married: 55, partnered: 5, divorced: 12, widowed: 18 }))}
    ELSE ${pickIndex(u('marital'), weightsFor(MARITAL_STATUSES, { single: 28, married: 44, partnered: 12, divorced: 12, widowed: 4 }))} END)`;
  const retired = OCCUPATIONS.indexOf('retired');
  const occupation = `(CASE WHEN birth_year <= 1958 AND ${u('retired')} < 0.7 THEN ${retired}
    ELSE ${archPick(u('occupation'), (a) => weightsFor(OCCUPATIONS, a.occupations))} END)`;

  const enumOut = (values: readonly string[], code: Sql, col: keyof typeof MISSING) =>
    `(CASE WHEN ${missing(col)} THEN ${missingValue(u(`blank_${col}`))} ELSE ${messyEnum(`${strList(values)}[${code} + 1]`, uv(`mess_${col}`))} END)`;
  const optIn = (kind: 'email' | 'sms' | 'push') =>
    `(CASE WHEN ${u(`miss_${kind}`)} < ${MISSING.opt_in} THEN NULL ELSE ${u(`opt_${kind}`)} < ${archNumber((a) => a.optIn[kind])} END)`;

  const truth = `
    ${badReasonSql(ctx, 'customers', ['num', 'version'])} AS bad,
    ${archIntBetween(u('birth_year'), (a) => a.birthYears)} AS birth_year,
    ${pickIndex(u('gender'), weightsFor(GENDERS, { female: 48, male: 46, non_binary: 2, other: 1, undisclosed: 3 }))} AS gender,
    ${archPick(u('income'), (a) => weightsFor(INCOME_BANDS, a.income))} AS income,
    ${tagProbs((a) => a.interests, INTERESTS)} AS interest_p,
    ${tagProbs((a) => a.lifestyles, LIFESTYLES)} AS lifestyle_p,
    ${archPick(u('education'), (a) => weightsFor(EDUCATION_LEVELS, a.education ?? DEFAULT_EDUCATION))} AS education,
    -- The current row's update is strictly later than the old one's, so "newest wins" is well defined.
    ${intBetween(u('updated1'), `signup_day + CASE WHEN dup THEN 1 ELSE 0 END`, days - 1)} AS upd1`;
  const derived = `
    ${marital} AS marital,
    ${occupation} AS occupation,
    CASE WHEN version = 1 THEN upd1 ELSE ${intBetween(u('updated0'), 'signup_day', 'upd1 - 1')} END AS upd_day,
    CASE WHEN version = 1 THEN place
      ELSE (place + 1 + CAST(floor(${u('old_place')} * (${placeCounts}[country + 1] - 1)) AS INTEGER)) % ${placeCounts}[country + 1]
    END AS addr`;
  const rendered = `${customerIdSql(ctx, 'num')} AS customer_id,
  CASE
    WHEN ${isReason('bad', 'bad_birth_year')} THEN (CASE ${pickIndex(uv('bad_value'), [3, 1, 1])}
      WHEN 0 THEN substr(birth_year::VARCHAR, 1, 2) || 'x' || substr(birth_year::VARCHAR, 4, 1)
      WHEN 1 THEN '18' || substr(birth_year::VARCHAR, 3, 2)
      ELSE 'unknown' END)
    WHEN ${missing('birth_year')} THEN ${missingValue(u('blank_birth_year'))}
    ELSE birth_year::VARCHAR END AS birth_year,
  CASE WHEN ${isReason('bad', 'unknown_gender')} THEN ['robot', 'M/F', 'alien', 'Yes'][${pickIndex(uv('bad_value'), [1, 1, 1, 1])} + 1]
    ELSE ${enumOut(GENDERS, 'gender', 'gender')} END AS gender,
  ${enumOut(INCOME_BANDS, 'income', 'income_band')} AS income_band,
  ${enumOut(EDUCATION_LEVELS, 'education', 'education')} AS education,
  ${enumOut(MARITAL_STATUSES, 'marital', 'marital_status')} AS marital_status,
  CASE WHEN ${missing('occupation')} THEN ${missingValue(u('blank_occupation'))} ELSE ${strList(OCCUPATIONS)}[occupation + 1] END AS occupation,
  CASE WHEN ${missing('country')} THEN ${missingValue(u('blank_country'))} ELSE ${strList(COUNTRIES.map((c) => c.code))}[country + 1] END AS country,
  CASE WHEN ${missing('place')} THEN ${missingValue(u('blank_place'))} ELSE ${sometimesBlank(`${regions}[country + 1][addr + 1]`, uv('blank_region'))} END AS region,
  CASE WHEN ${missing('place')} THEN ${missingValue(u('blank_place'))} ELSE ${cities}[country + 1][addr + 1] END AS city,
  CASE WHEN ${missing('interests')} THEN NULL ELSE ${tags(INTERESTS, 'interest_p', 'interest')} END AS interests,
  CASE WHEN ${missing('lifestyle')} THEN NULL ELSE ${tags(LIFESTYLES, 'lifestyle_p', 'lifestyle')} END AS lifestyle,
  ${optIn('email')} AS email_opt_in,
  ${optIn('sms')} AS sms_opt_in,
  ${optIn('push')} AS push_opt_in,
  strftime(DATE '${cal.period.from}' + signup_day, '%Y-%m-%d') AS signup_date,
  ${isoSql(`${cal.period.startEpoch} + upd_day * 86400 + ${intBetween(uv('updated_tod'), 0, 86399)}`)} AS updated_at`;
  const dup = `${rnd.u('moved', 'num')} < ${ADDRESS_CHANGE_RATE} AND signup_day <= ${days - 3}`;

  return `CREATE OR REPLACE TABLE cust_rows AS
WITH v AS (
  -- New customers cannot have moved yet: their signup is too close to asOf to fit two updates.
  SELECT c.*, unnest(CASE WHEN dup THEN [0, 1] ELSE [1] END)::TINYINT AS version
  FROM (SELECT *, (${dup}) AS dup FROM cust) c
), r AS (SELECT *${dn.withComma()}${dv.withComma()} FROM v),
x AS (SELECT *, ${truth} FROM r),
y AS (SELECT *, ${derived} FROM x)
SELECT num, version, bad, ${rendered}
FROM y`;
}

const text = (name: string): OutColumn => ({ name, sql: name });
const bool = (name: string): OutColumn => ({ name, sql: `CAST(${name} AS VARCHAR)`, parquet: name });

/** Column order follows the contract (shared/contracts/lake.ts CustomerRow). */
export const CUSTOMER_COLUMNS: readonly OutColumn[] = [
  text('customer_id'),
  text('birth_year'),
  text('gender'),
  text('income_band'),
  text('education'),
  text('marital_status'),
  text('occupation'),
  text('country'),
  text('region'),
  text('city'),
  { name: 'interests', sql: 'interests', list: true },
  { name: 'lifestyle', sql: 'lifestyle', list: true },
  bool('email_opt_in'),
  bool('sms_opt_in'),
  bool('push_opt_in'),
  text('signup_date'),
  text('updated_at'),
];
