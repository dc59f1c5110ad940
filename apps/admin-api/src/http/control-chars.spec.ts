import { describe, expect, it } from 'vitest';
import { ControlCharacterPipe, controlCharacterErrors } from './control-chars.js';
import { ValidationError } from './errors.js';

describe('controlCharacterErrors', () => {
  it.each([
    { name: 'clean text', value: { name: 'zone 0', reason: 'a\nb' }, want: [] },
    { name: 'NUL in a body field', value: { name: 'a\u0000b' }, want: ['name'] },
    { name: 'DEL', value: { name: 'a\u007fb' }, want: ['name'] },
    { name: 'nested array item', value: { residency: ['FR', 'D\u0001E'] }, want: ['residency[1]'] },
    { name: 'reason allows tab and newlines', value: { reason: 'line 1\r\n\tline 2' }, want: [] },
    { name: 'reason still refuses NUL', value: { reason: 'a\u0000' }, want: ['reason'] },
    { name: 'newline in a non-free-text field', value: { name: 'a\nb' }, want: ['name'] },
    {
      name: 'control in a key',
      value: { latencyMsByOrigin: { 'e\u0000u': 1 } },
      want: ['latencyMsByOrigin.e\\u0000u'],
    },
    { name: 'numbers and null pass', value: { n: 1, m: null, b: true }, want: [] },
  ])('$name', ({ value, want }) => {
    expect(controlCharacterErrors(value, 'body').map((e) => e.field)).toEqual(want);
  });

  it('names the code point and never treats a reason in the query as free text', () => {
    const [error] = controlCharacterErrors({ reason: 'a\nb' }, 'query');
    expect(error).toEqual({
      field: 'reason',
      in: 'query',
      message: 'control character U+000A is not allowed',
    });
  });
});

describe('ControlCharacterPipe', () => {
  const pipe = new ControlCharacterPipe();
  const errorsOf = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      return (error as ValidationError).errors;
    }
    return [];
  };

  it.each([
    {
      kind: 'body',
      value: { reason: 'ok', name: 'x\u0000' },
      data: undefined,
      want: { field: 'name', in: 'body' },
    },
    { kind: 'query', value: { actor: 'a\u0000b' }, data: undefined, want: { field: 'actor', in: 'query' } },
    { kind: 'query', value: 'a\u0000b', data: 'actor', want: { field: 'actor', in: 'query' } },
    { kind: 'param', value: 'Z\u0000', data: 'id', want: { field: 'id', in: 'path' } },
  ] as const)('$kind $data → 400 naming $want.field', ({ kind, value, data, want }) => {
    expect(errorsOf(() => pipe.transform(value, { type: kind, data }))).toEqual([
      expect.objectContaining(want),
    ]);
  });

  it('passes clean values through unchanged and ignores custom decorators', () => {
    const body = { name: 'zone' };
    expect(pipe.transform(body, { type: 'body' })).toBe(body);
    expect(pipe.transform({ x: '\u0000' }, { type: 'custom' })).toEqual({ x: '\u0000' });
  });
});
