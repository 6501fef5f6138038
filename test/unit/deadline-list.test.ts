/**
 * The lease deadline list keeps exact deadline order (equal deadlines first in, first out) under any sequence of
 * upserts and removes, including deadlines that go back in time.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeadlineList, type DeadlineLinks } from '../../coordinator/core/deadline-list.js';

interface Item extends DeadlineLinks<Item> {
  readonly id: number;
  deadlineMs: number;
}

const item = (id: number, deadlineMs: number): Item => ({ id, deadlineMs, earlier: undefined, later: undefined, listed: false });

/** The list's items from head to tail, checking the back links on the way. */
function contents(list: DeadlineList<Item>): Item[] {
  const out: Item[] = [];
  let prev: Item | undefined;
  for (let i = list.peek(); i !== undefined; i = i.later) {
    expect(i.earlier).toBe(prev);
    out.push(i);
    prev = i;
  }
  return out;
}

describe('DeadlineList', () => {
  it('keeps deadline order, equal deadlines in insertion order, and removes from anywhere', () => {
    const list = new DeadlineList<Item>();
    const [a, b, c, d] = [item(1, 10), item(2, 20), item(3, 20), item(4, 30)];
    for (const i of [a, b, c, d]) list.upsert(i);
    expect(contents(list).map((i) => i.id)).toEqual([1, 2, 3, 4]);
    list.remove(c);
    list.remove(c);
    expect(list.has(c)).toBe(false);
    expect(list.size).toBe(3);
    a.deadlineMs = 25;
    list.upsert(a);
    expect(contents(list).map((i) => i.id)).toEqual([2, 1, 4]);
    list.remove(b);
    list.remove(d);
    list.remove(a);
    expect(list.peek()).toBeUndefined();
    expect(list.size).toBe(0);
  });

  it('orders any sequence of upserts and removes, also when deadlines go back (a clock stepped back)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ id: fc.integer({ min: 0, max: 15 }), deadline: fc.integer({ min: 0, max: 50 }), remove: fc.boolean() }), {
          maxLength: 200,
        }),
        (ops) => {
          const list = new DeadlineList<Item>();
          const items = Array.from({ length: 16 }, (_, id) => item(id, 0));
          const model = new Map<number, { deadline: number; seq: number }>();
          let seq = 0;
          for (const op of ops) {
            const it = items[op.id];
            if (op.remove) {
              list.remove(it);
              model.delete(op.id);
            } else {
              it.deadlineMs = op.deadline;
              list.upsert(it);
              model.set(op.id, { deadline: op.deadline, seq: seq++ });
            }
          }
          const expected = [...model].sort(([, x], [, y]) => x.deadline - y.deadline || x.seq - y.seq).map(([id]) => id);
          expect(contents(list).map((i) => i.id)).toEqual(expected);
          expect(list.size).toBe(model.size);
          for (const it of items) expect(list.has(it)).toBe(model.has(it.id));
        },
      ),
    );
  });
});
