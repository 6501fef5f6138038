/**
 * The coordinator's heap growth limit (coordinator/heap.ts): applied unless node was started with its own
 * --heap-growing-percent, in either spelling V8 accepts.
 */
import { describe, expect, it } from 'vitest';
import { limitHeapGrowth } from '../../coordinator/heap.js';

describe('limitHeapGrowth', () => {
  it('sets the limit when node was started without one', () => {
    expect(limitHeapGrowth([])).toBe(true);
    expect(limitHeapGrowth(['--max-old-space-size=512', '--heap-growing-percentage=7'])).toBe(true);
  });

  it("leaves an operator's own setting alone", () => {
    for (const argv of [['--heap-growing-percent=30'], ['--heap_growing_percent=30'], ['--heap-growing-percent', '30']])
      expect(limitHeapGrowth(argv)).toBe(false);
  });
});
