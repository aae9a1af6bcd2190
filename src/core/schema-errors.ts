/**
 * ajv's errors as lines an administrator can act on: each names the path in the file and
 * what is wrong there, an unknown key comes with the closest known one, an enum with its
 * allowed values and the value found. ajv (with `allErrors`) can report one problem
 * several times; each line appears once. Validators must be compiled with
 * `verbose: true`, which gives the errors the data and the schema they need.
 */
import type { ErrorObject } from 'ajv';
import { didYouMean } from './suggest.js';

/** A value in a message: short JSON for scalars, its type for objects and arrays. */
export function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value !== null && typeof value === 'object') return 'a map';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function describeOne(e: ErrorObject): string {
  const where = e.instancePath || '/';
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(e.params.additionalProperty);
      const props = (e.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
      return `unknown key ${JSON.stringify(key)} at ${where}${didYouMean(key, Object.keys(props ?? {}))}`;
    }
    case 'enum': {
      const allowed = (e.params.allowedValues as unknown[]).map((v) =>
        typeof v === 'string' ? v : JSON.stringify(v),
      );
      const guess = typeof e.data === 'string' ? didYouMean(e.data, allowed) : '';
      return `${where} must be one of ${allowed.join(', ')} (got ${describeValue(e.data)})${guess}`;
    }
    case 'type':
      return `${where} must be ${e.params.type} (got ${e.data === undefined ? 'nothing' : describeValue(e.data)})`;
    case 'required':
      return `${where} is missing the key ${JSON.stringify(e.params.missingProperty)}`;
    default:
      return `${where} ${e.message ?? 'is invalid'}`;
  }
}

/** One line per distinct problem, in ajv's order. */
export function describeSchemaErrors(errors: readonly ErrorObject[] | null | undefined): string[] {
  return [...new Set((errors ?? []).map(describeOne))];
}
