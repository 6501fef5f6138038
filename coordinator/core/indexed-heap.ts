/**
 * A binary min-heap whose items know their position, so an item whose key changed moves in O(log n) and any item can
 * be removed in O(log n). The scheduler keeps its fair-share order and its timers in these, so a result, a grant or an
 * expiry costs the same with 2 workers or 1,000.
 */
export class IndexedHeap<T> {
  private readonly items: T[] = [];
  private readonly pos = new Map<T, number>();
  private readonly less: (a: T, b: T) => boolean;

  constructor(less: (a: T, b: T) => boolean) {
    this.less = less;
  }

  get size(): number {
    return this.items.length;
  }

  has(item: T): boolean {
    return this.pos.has(item);
  }

  peek(): T | undefined {
    return this.items[0];
  }

  /** Inserts the item, or moves it to where its (changed) key belongs. */
  upsert(item: T): void {
    const i = this.pos.get(item);
    if (i === undefined) {
      this.items.push(item);
      this.pos.set(item, this.items.length - 1);
      this.up(this.items.length - 1);
    } else if (!this.up(i)) this.down(i);
  }

  remove(item: T): void {
    const i = this.pos.get(item);
    if (i === undefined) return;
    const last = this.items.pop()!;
    this.pos.delete(item);
    if (i < this.items.length) {
      this.items[i] = last;
      this.pos.set(last, i);
      if (!this.up(i)) this.down(i);
    }
  }

  pop(): T | undefined {
    const top = this.items[0];
    if (top !== undefined) this.remove(top);
    return top;
  }

  values(): readonly T[] {
    return this.items;
  }

  private up(i: number): boolean {
    let moved = false;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(this.items[i], this.items[parent])) break;
      this.swap(i, parent);
      i = parent;
      moved = true;
    }
    return moved;
  }

  private down(i: number): void {
    const n = this.items.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(this.items[l], this.items[m])) m = l;
      if (r < n && this.less(this.items[r], this.items[m])) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }

  private swap(a: number, b: number): void {
    const x = this.items[a];
    const y = this.items[b];
    this.items[a] = y;
    this.items[b] = x;
    this.pos.set(y, a);
    this.pos.set(x, b);
  }
}
