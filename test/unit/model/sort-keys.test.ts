// sortKeys copies every spec into the model with sorted keys; it must not be fooled by odd keys.
import { sortKeys } from '../../../src/model/assemble.js';

describe('sortKeys', () => {
  test('sorts keys at every depth, keeps arrays in order and scalars as they are', () => {
    const out = sortKeys({ b: 1, a: { d: [{ z: 1, y: 2 }, 3], c: null }, '': 'empty' });
    expect(JSON.stringify(out)).toBe('{"":"empty","a":{"c":null,"d":[{"y":2,"z":1},3]},"b":1}');
  });

  test('a __proto__ key (from JSON or YAML input) stays an own key and never becomes the prototype', () => {
    const input = JSON.parse('{"b":1,"__proto__":{"polluted":true},"a":2}') as Record<string, unknown>;
    const out = sortKeys(input);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect((out as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.keys(out)).toEqual(['__proto__', 'a', 'b']);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual({ polluted: true });
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });
});
