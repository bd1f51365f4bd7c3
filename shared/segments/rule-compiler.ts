import type { Condition, RuleSegment } from '../contracts/config.ts';
import { FEATURES, isFeatureName } from '../contracts/features.ts';
import { ConfigError } from '../errors.ts';
import { sqlBoolean, sqlDate, sqlNumber, sqlString } from '../sql/literals.ts';
import { addDays } from '../time.ts';

/**
 * Compiles a rule condition to a SQL boolean over a relation whose columns are the feature catalogue.
 * Column names come from the catalogue (the user's text only selects an entry); values go through the literal
 * functions. Comparisons with a missing (NULL) feature are false, and so is NOT of such a comparison: a rule
 * never selects a customer because of data we do not have.
 */
export function compileCondition(condition: Condition, asOf: string, alias = ''): string {
  const prefix = alias ? `${alias}.` : '';
  const compile = (c: Condition): string => {
    if ('all' in c) return `(${c.all.map(compile).join(' AND ')})`;
    if ('any' in c) return `(${c.any.map(compile).join(' OR ')})`;
    if ('not' in c) return `(NOT coalesce(${compile(c.not)}, false))`;
    if (!isFeatureName(c.feature)) throw new ConfigError(`unknown feature "${c.feature}"`);
    const spec = FEATURES[c.feature];
    const column = `${prefix}${c.feature}`;
    const literal = (v: string | number | boolean): string => {
      if (typeof v === 'boolean') return sqlBoolean(v);
      if (typeof v === 'number') return sqlNumber(v);
      return spec.type === 'date' ? sqlDate(v) : sqlString(v);
    };
    switch (c.op) {
      case 'eq':
        return `(${column} = ${literal(c.value)})`;
      case 'ne':
        return `(${column} <> ${literal(c.value)})`;
      case 'gt':
        return `(${column} > ${literal(c.value)})`;
      case 'gte':
        return `(${column} >= ${literal(c.value)})`;
      case 'lt':
        return `(${column} < ${literal(c.value)})`;
      case 'lte':
        return `(${column} <= ${literal(c.value)})`;
      case 'in':
        return `(${column} IN (${c.values.map(literal).join(', ')}))`;
      case 'not_in':
        return `(${column} NOT IN (${c.values.map(literal).join(', ')}))`;
      case 'between':
        return `(${column} BETWEEN ${literal(c.min)} AND ${literal(c.max)})`;
      case 'within_last_days':
        return `(${column} BETWEEN ${sqlDate(addDays(asOf, -c.days))} AND ${sqlDate(asOf)})`;
      case 'is_null':
        return `(${column} IS NULL)`;
      case 'not_null':
        return `(${column} IS NOT NULL)`;
      case 'contains':
        return `contains(${column}, ${sqlString(c.value)})`;
      case 'contains_any':
        return `(${c.values.map((v) => `contains(${column}, ${sqlString(v)})`).join(' OR ')})`;
      case 'contains_all':
        return `(${c.values.map((v) => `contains(${column}, ${sqlString(v)})`).join(' AND ')})`;
    }
  };
  return compile(condition);
}

/**
 * The `segments` column: the ids of every rule segment whose condition holds, in config order.
 * The single-NULL array keeps the element type varchar when there are no rules, in both engines.
 */
export function ruleSegmentsArraySql(segments: readonly RuleSegment[], asOf: string, alias = ''): string {
  if (segments.length === 0) return 'filter(ARRAY[CAST(NULL AS varchar)], x -> x IS NOT NULL)';
  const items = segments.map(
    (s) => `CASE WHEN coalesce(${compileCondition(s.rule, asOf, alias)}, false) THEN ${sqlString(s.id)} END`,
  );
  return `filter(ARRAY[${items.join(', ')}], x -> x IS NOT NULL)`;
}
