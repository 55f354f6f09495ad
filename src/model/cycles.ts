// Cycles in a dependency graph, found by depth-first search in name order, each reported once.

/**
 * Every cycle the search meets, as the list of its members in dependency order (a → b → c means
 * a depends on b, b on c, c on a). Self-edges and edges to unknown nodes are ignored here.
 */
export function findCycles(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const state = new Map<string, 'active' | 'done'>();
  const seen = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (name: string): void => {
    state.set(name, 'active');
    stack.push(name);
    for (const dep of edges.get(name) ?? []) {
      if (dep === name || !edges.has(dep)) continue;
      const s = state.get(dep);
      if (s === undefined) visit(dep);
      else if (s === 'active') {
        const cycle = stack.slice(stack.indexOf(dep));
        const id = [...cycle].sort().join(',');
        if (seen.has(id)) continue;
        seen.add(id);
        cycles.push(cycle);
      }
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of [...edges.keys()].sort()) if (!state.has(name)) visit(name);
  return cycles;
}
