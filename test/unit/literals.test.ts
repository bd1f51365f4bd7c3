import { describe, expect, it } from 'vitest';
import { isValidIsoDate, sqlDate, sqlNumber, sqlString, UnsafeSqlValueError } from '../../shared/sql/literals.ts';
import { compileCondition } from '../../shared/segments/rule-compiler.ts';

describe('SQL literals', () => {
  it('doubles single quotes and refuses NUL', () => {
    expect(sqlString("O'Brien")).toBe("'O''Brien'");
    expect(() => sqlString('a\u0000b')).toThrow(UnsafeSqlValueError);
  });

  it('accepts only finite numbers and real calendar dates', () => {
    expect(sqlNumber(3)).toBe('3');
    expect(sqlNumber(0.25)).toBe("CAST('0.25' AS double)");
    expect(() => sqlNumber(Number.NaN)).toThrow(UnsafeSqlValueError);
    expect(() => sqlNumber(Number.POSITIVE_INFINITY)).toThrow(UnsafeSqlValueError);
    expect(sqlDate('2024-02-29')).toBe("DATE '2024-02-29'");
    expect(isValidIsoDate('2023-02-29')).toBe(false);
    expect(() => sqlDate("2024-01-01' OR 1=1 --")).toThrow(UnsafeSqlValueError);
  });
});

describe('rule compiler', () => {
  it('emits catalogue columns and escaped values only', () => {
    const sql = compileCondition(
      { all: [{ feature: 'country', op: 'eq', value: "x' OR '1'='1" }, { not: { feature: 'interests', op: 'contains', value: "a'b" } }] },
      '2026-01-31',
      's',
    );
    expect(sql).toBe("((s.country = 'x'' OR ''1''=''1') AND (NOT coalesce(contains(s.interests, 'a''b'), false)))");
  });

  it('turns within_last_days into an inclusive date window ending at the as-of date', () => {
    expect(compileCondition({ feature: 'signup_date', op: 'within_last_days', days: 30 }, '2026-03-01')).toBe(
      "(signup_date BETWEEN DATE '2026-01-30' AND DATE '2026-03-01')",
    );
  });

  it('refuses a feature outside the catalogue even if validation was bypassed', () => {
    expect(() => compileCondition({ feature: 'customer_id; DROP TABLE x', op: 'is_null' }, '2026-01-01')).toThrow(/unknown feature/);
  });
});
