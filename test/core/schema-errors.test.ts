/** ajv errors as one readable line each: path, problem, and a guess for unknown keys. */
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { describeSchemaErrors, describeValue } from '../../src/core/schema-errors.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    mode: { enum: ['enforce', 'warn', 'audit'] },
    count: { type: 'integer', minimum: 0 },
    items: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: { name: { type: 'string' }, kinds: { type: 'array' } },
      },
    },
  },
} as const;
const validate = new Ajv({ allErrors: true, verbose: true }).compile(schema);

function lines(data: unknown): string[] {
  validate(data);
  return describeSchemaErrors(validate.errors);
}

describe('describeSchemaErrors', () => {
  it.each([
    [{ mod: 'warn' }, ['unknown key "mod" at /; did you mean "mode"?']],
    [{ zzz: 1 }, ['unknown key "zzz" at /']],
    [
      { mode: 'enforced' },
      ['/mode must be one of enforce, warn, audit (got "enforced"); did you mean "enforce"?'],
    ],
    [{ mode: 7 }, ['/mode must be one of enforce, warn, audit (got 7)']],
    [{ count: 'x' }, ['/count must be integer (got "x")']],
    [{ count: -1 }, ['/count must be >= 0']],
    [{ items: [{ name: 'a', kind: [] }] }, ['unknown key "kind" at /items/0; did you mean "kinds"?']],
    [{ items: [{}] }, ['/items/0 is missing the key "name"']],
    [[], ['/ must be object (got an array)']],
    [
      { mod: 1, mode: 'x', items: [{ nam: 'a' }] },
      [
        'unknown key "mod" at /; did you mean "mode"?',
        '/mode must be one of enforce, warn, audit (got "x")',
        '/items/0 is missing the key "name"',
        'unknown key "nam" at /items/0; did you mean "name"?',
      ],
    ],
  ])('describes %j', (data, want) => {
    expect(lines(data)).toEqual(want);
  });

  it('says each problem once', () => {
    validate({ mod: 1 });
    const twice = [...(validate.errors ?? []), ...(validate.errors ?? [])];
    expect(describeSchemaErrors(twice)).toEqual(['unknown key "mod" at /; did you mean "mode"?']);
    expect(describeSchemaErrors(null)).toEqual([]);
  });
});

describe('describeValue', () => {
  it.each([
    ['x', '"x"'],
    [1, '1'],
    [null, 'null'],
    [true, 'true'],
    [{}, 'a map'],
    [[1], 'an array'],
    ['y'.repeat(100), `"${'y'.repeat(36)}...`],
  ])('%j is %s', (v, want) => {
    expect(describeValue(v)).toBe(want);
  });
});
