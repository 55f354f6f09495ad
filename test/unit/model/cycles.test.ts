import { findCycles } from '../../../src/model/cycles.js';

const graph = (edges: Record<string, string[]>) => new Map(Object.entries(edges));

describe('findCycles', () => {
  it('finds nothing in a DAG (diamond), ignoring self-edges and unknown nodes', () => {
    expect(findCycles(graph({ a: ['b', 'c'], b: ['d'], c: ['d'], d: ['d', 'ghost'] }))).toEqual([]);
  });

  it('reports each cycle once, members in dependency order, in name order of discovery', () => {
    expect(findCycles(graph({ a: ['b'], b: ['c'], c: ['a'], x: ['y'], y: ['x', 'a'] }))).toEqual([
      ['a', 'b', 'c'],
      ['x', 'y'],
    ]);
  });

  it('finds two cycles that share a node', () => {
    expect(findCycles(graph({ a: ['b', 'c'], b: ['a'], c: ['a'] }))).toEqual([
      ['a', 'b'],
      ['a', 'c'],
    ]);
  });
});
