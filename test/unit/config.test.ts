import { describe, expect, it } from 'vitest';
import { configHash, parseSegmentsConfig, parseSegmentsConfigText } from '../../shared/contracts/config.ts';
import { ConfigError } from '../../shared/errors.ts';
import { defaultSegmentsConfig } from '../../shared/segments/default-config.ts';

const issuesOf = (doc: unknown): { path: string; message: string }[] => {
  try {
    parseSegmentsConfig(doc, 'test.json');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).issues];
  }
  throw new Error('expected a ConfigError');
};

const withRule = (rule: unknown) => ({ version: 1, segments: [{ id: 'ok_one', name: 'ok', rule: { feature: 'frequency', op: 'gte', value: 1 } }, { id: 'bad_one', name: 'bad', rule }] });

describe('segment config', () => {
  it('applies documented defaults', () => {
    const config = parseSegmentsConfig({ version: 1 });
    expect(config.lifecycle).toEqual({ newWithinDays: 30, activeWithinDays: 90, lapsingWithinDays: 180 });
    expect(config.rfm.minBuyersForQuintiles).toBe(100);
    expect(config.segments).toEqual([]);
  });

  it('names the path of an unknown feature deep in a condition tree', () => {
    const issues = issuesOf(withRule({ all: [{ feature: 'frequency', op: 'gte', value: 1 }, { any: [{ feature: 'shoe_size', op: 'eq', value: 42 }] }] }));
    expect(issues).toEqual([expect.objectContaining({ path: 'segments[1].rule.all[1].any[0].feature' })]);
    expect(issues[0]?.message).toContain('shoe_size');
  });

  it('rejects an operator that does not fit the feature type, naming the op', () => {
    const issues = issuesOf(withRule({ feature: 'interests', op: 'gt', value: 3 }));
    expect(issues[0]?.path).toBe('segments[1].rule.op');
  });

  it('rejects a value outside a feature enum, naming the list element', () => {
    const issues = issuesOf(withRule({ feature: 'gender', op: 'in', values: ['female', 'martian'] }));
    expect(issues).toEqual([expect.objectContaining({ path: 'segments[1].rule.values[1]' })]);
  });

  it('rejects wrong value types, unknown keys and duplicate ids', () => {
    expect(issuesOf(withRule({ feature: 'frequency', op: 'gte', value: 'many' }))[0]?.path).toBe('segments[1].rule.value');
    expect(issuesOf({ version: 1, lifecycle: { newWithinDays: 30, activeWitinDays: 90 } }).map((i) => i.path)).toContain('lifecycle');
    const dup = issuesOf({ version: 1, segments: [{ id: 'same', name: 'a', rule: { feature: 'frequency', op: 'gte', value: 1 } }, { id: 'same', name: 'b', rule: { feature: 'frequency', op: 'gte', value: 1 } }] });
    expect(dup).toEqual([expect.objectContaining({ path: 'segments[1].id' })]);
  });

  it('reports a malformed condition at its place in the tree, not as "Invalid input" at the rule', () => {
    const deep = (leaf: unknown) => issuesOf(withRule({ all: [{ feature: 'frequency', op: 'gte', value: 1 }, { not: { any: [leaf] } }] }));
    const at = 'segments[1].rule.all[1].not.any[0]';
    // "value" where "in" takes "values"
    expect(deep({ feature: 'country', op: 'in', value: 'DE' })).toEqual([
      { path: `${at}.values`, message: expect.stringContaining('expected array') },
      { path: at, message: 'Unrecognized key: "value"' },
    ]);
    // an operator that does not exist, or none at all
    expect(deep({ feature: 'frequency', op: 'greater', value: 3 })).toEqual([
      { path: `${at}.op`, message: expect.stringMatching(/Invalid discriminator value\. Expected 'eq' \| 'ne' .*'contains_all'$/) },
    ]);
    expect(deep({ feature: 'frequency', value: 3 })).toEqual([{ path: `${at}.op`, message: 'missing: a leaf condition names its operator in "op"' }]);
    expect(deep({ feature: 'frequency', op: 'between', min: 3 })).toEqual([{ path: `${at}.max`, message: 'missing (expected number or string)' }]);
    expect(deep({ feature: 'frequency', op: 'gte', value: null })).toEqual([{ path: `${at}.value`, message: 'expected string, number or boolean' }]);
    // No shape fits better than another: say what the shapes are.
    for (const node of [{ alll: [] }, { all: [{ feature: 'frequency', op: 'gte', value: 1 }], any: [] }]) {
      expect(deep(node)).toEqual([{ path: at, message: expect.stringMatching(/^a condition is \{"all": \[...\]\}, \{"any"/) }]);
    }
  });

  it('refuses ids that could collide with built-in segments and ids that are not identifiers', () => {
    expect(issuesOf({ version: 1, segments: [{ id: 'champions', name: 'x', rule: { feature: 'frequency', op: 'gte', value: 1 } }] })[0]?.path).toBe('segments[0].id');
    expect(issuesOf({ version: 1, segments: [{ id: "x'; drop", name: 'x', rule: { feature: 'frequency', op: 'gte', value: 1 } }] })[0]?.path).toBe('segments[0].id');
  });

  it('reports invalid JSON with the file name', () => {
    expect(() => parseSegmentsConfigText('{"version": 1,', 'my.json')).toThrow(/my\.json(:\d+:\d+)? is not valid JSON/);
    // Where an editor would put the cursor: line 3, at the "}" after the trailing comma.
    expect(() => parseSegmentsConfigText('{\n  "version": 1,\n  "rfm": { "minBuyersForQuintiles": 5, }\n}\n', 'my.json')).toThrow(/^my\.json:3:40 is not valid JSON/);
  });

  it('hashes the effective config independently of key order and $schema', () => {
    const a = parseSegmentsConfig({ version: 1, rfm: { minBuyersForQuintiles: 100 } });
    const b = parseSegmentsConfig({ rfm: { minBuyersForQuintiles: 100 }, version: 1, $schema: 'x' });
    const c = parseSegmentsConfig({ version: 1, rfm: { minBuyersForQuintiles: 50 } });
    expect(configHash(a)).toBe(configHash(b));
    expect(configHash(a)).not.toBe(configHash(c));
  });

  it('ships a valid default config with rule segments', () => {
    expect(defaultSegmentsConfig().segments.length).toBeGreaterThan(3);
  });
});
