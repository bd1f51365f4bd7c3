import type { Construct } from 'constructs';

/**
 * Readers for deployment settings given as CDK context. Values passed with `cdk -c key=value` arrive as strings,
 * values in cdk.json as JSON, so each reader accepts both; anything malformed fails the synth with the key's name
 * instead of producing a surprising template.
 */
export class ContextError extends Error {
  constructor(key: string, message: string) {
    super(`context ${key}: ${message}`);
    this.name = 'ContextError';
  }
}

/** The raw value, or undefined when the key is absent or empty (so `-c key=` falls back to the default). */
export function rawContext(scope: Construct, key: string): unknown {
  const value: unknown = scope.node.tryGetContext(key);
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' && value.trim() === '') return undefined;
  return value;
}

export function optionalString(scope: Construct, key: string): string | undefined {
  const value = rawContext(scope, key);
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new ContextError(key, `expected a string, got ${JSON.stringify(value)}`);
  return value.trim();
}

export function integerContext(scope: Construct, key: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = rawContext(scope, key);
  if (raw === undefined) return fallback;
  const value = typeof raw === 'string' ? Number(raw.trim()) : raw;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    throw new ContextError(key, `expected an integer ${range}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/**
 * '' or a key prefix ending in '/'. Segments are limited to characters that need no escaping in an S3 URL, an
 * IAM resource or a Glue location; '*' and '?' in particular would turn a prefix-scoped IAM grant into a pattern.
 */
export function keyPrefixContext(scope: Construct, key: string): string {
  const value = optionalString(scope, key) ?? '';
  if (value === '') return '';
  if (!/^([A-Za-z0-9_.=-]+\/)+$/.test(value) || value.split('/').some((segment) => /^\.+$/.test(segment))) {
    throw new ContextError(
      key,
      `'${value}' must be empty or folder names of letters, digits and _ . = - each followed by '/', e.g. 'customer-data/'`,
    );
  }
  return value;
}

/**
 * A list given as a JSON array (cdk.json) or as comma-separated text (`-c key=a,b`); 'none' is the empty list,
 * since an empty `-c` value means "use the default".
 */
export function listContext(scope: Construct, key: string): string[] | undefined {
  const raw = rawContext(scope, key);
  if (raw === undefined) return undefined;
  if (Array.isArray(raw) && raw.every((item) => typeof item === 'string')) return raw.map((item) => item.trim());
  if (typeof raw !== 'string') throw new ContextError(key, `expected a list of strings, got ${JSON.stringify(raw)}`);
  const text = raw.trim();
  if (text === 'none') return [];
  if (text.startsWith('[')) return listContextFromJson(key, text);
  return text.split(',').map((item) => item.trim()).filter((item) => item !== '');
}

function listContextFromJson(key: string, text: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ContextError(key, `'${text}' is not a JSON array`);
  }
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string')) {
    throw new ContextError(key, `expected a list of strings, got ${text}`);
  }
  return parsed.map((item) => item.trim());
}

/**
 * A string-to-string map given as a JSON object (cdk.json, or `-c key='{"a":"b"}'`) or as `a=b,c=d` text, the
 * same shape the Lambda's LAKE_FORMATS variable uses.
 */
export function mapContext(scope: Construct, key: string): Record<string, string> | undefined {
  const raw = rawContext(scope, key);
  if (raw === undefined) return undefined;
  let value: unknown = raw;
  if (typeof raw === 'string' && raw.trim().startsWith('{')) {
    try {
      value = JSON.parse(raw);
    } catch {
      throw new ContextError(key, `'${raw}' is not a JSON object`);
    }
  } else if (typeof raw === 'string') {
    value = Object.fromEntries(
      raw.split(',').filter((part) => part.trim() !== '').map((part) => {
        const [name, entry, ...rest] = part.split('=').map((s) => s.trim());
        if (!name || !entry || rest.length > 0) throw new ContextError(key, `'${part.trim()}' is not name=value`);
        return [name, entry];
      }),
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    throw new ContextError(key, `expected an object of strings, got ${JSON.stringify(raw)}`);
  }
  return value as Record<string, string>;
}
