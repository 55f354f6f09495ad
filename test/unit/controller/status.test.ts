import { Reason, nextStatus, setCondition, statusEqual, truncateMessage } from '../../../src/controller/status.js';

const t0 = new Date('2025-01-01T00:00:00Z');
const t1 = new Date('2025-01-01T01:00:00Z');

describe('setCondition', () => {
  it('adds a condition with lastTransitionTime = now', () => {
    const c = setCondition(undefined, { type: 'Ready', status: 'True', reason: Reason.Rendered, message: 'ok', observedGeneration: 3 }, t0);
    expect(c).toEqual([{ type: 'Ready', status: 'True', reason: 'Rendered', message: 'ok', observedGeneration: 3, lastTransitionTime: '2025-01-01T00:00:00Z' }]);
  });

  it('keeps lastTransitionTime when only reason/message change, moves it when status flips', () => {
    const a = setCondition(undefined, { type: 'Ready', status: 'False', reason: Reason.InvalidSpec, message: 'x' }, t0);
    const b = setCondition(a, { type: 'Ready', status: 'False', reason: Reason.NotFound, message: 'y' }, t1);
    expect(b[0]?.lastTransitionTime).toBe('2025-01-01T00:00:00Z');
    expect(b[0]?.reason).toBe('NotFound');
    const c = setCondition(b, { type: 'Ready', status: 'True', reason: Reason.Rendered, message: 'ok' }, t1);
    expect(c[0]?.lastTransitionTime).toBe('2025-01-01T01:00:00Z');
  });

  it('keeps other conditions and puts Ready first', () => {
    const a = setCondition([{ type: 'Stalled', status: 'True', reason: 'X', message: '', lastTransitionTime: 'z' }], { type: 'Ready', status: 'True', reason: 'Rendered', message: '' }, t0);
    expect(a.map((c) => c.type)).toEqual(['Ready', 'Stalled']);
  });

  it('truncates very long messages', () => {
    const m = truncateMessage('x'.repeat(10_000));
    expect(m.length).toBeLessThanOrEqual(4096);
    expect(m).toMatch(/more\)$/);
  });
});

describe('statusEqual / nextStatus', () => {
  const ready = { status: 'True' as const, reason: Reason.Rendered, message: 'Rendered 3 file(s)' };

  it('ignores lastTransitionTime and key order', () => {
    const a = nextStatus(undefined, 2, ready, t0);
    const b = { conditions: [{ ...a.conditions![0]!, lastTransitionTime: 'other' }], observedGeneration: 2 };
    expect(statusEqual(a, b)).toBe(true);
  });

  it('a second nextStatus with the same input is equal: no write', () => {
    const a = nextStatus(undefined, 2, ready, t0);
    expect(statusEqual(a, nextStatus(a, 2, ready, t1))).toBe(true);
  });

  it('differs on generation, reason, message, status and lastCommit', () => {
    const a = nextStatus(undefined, 2, ready, t0);
    expect(statusEqual(a, nextStatus(a, 3, ready, t0))).toBe(false);
    expect(statusEqual(a, nextStatus(a, 2, { ...ready, message: 'other' }, t0))).toBe(false);
    expect(statusEqual(a, nextStatus(a, 2, { ...ready, status: 'False', reason: Reason.GitError }, t0))).toBe(false);
    expect(statusEqual(a, nextStatus(a, 2, ready, t0, { lastCommit: { sha: 'a', time: 't', message: 'm' } }))).toBe(false);
  });

  it('carries lastCommit over when not replaced', () => {
    const a = nextStatus(undefined, 1, ready, t0, { lastCommit: { sha: 'a', time: 't', message: 'm' } });
    expect(nextStatus(a, 1, ready, t1).lastCommit).toEqual({ sha: 'a', time: 't', message: 'm' });
  });
});
