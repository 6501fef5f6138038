/**
 * Deterministic chunk planning: chunk boundaries depend only on (points, chunkSize), so every mode, worker count
 * and restart splits a calculation the same way, and chunk i always covers the same samples.
 */

/** Number of chunks: ceil(points / chunkSize). */
export function chunkCount(points: number, chunkSize: number): number {
  return Math.ceil(points / chunkSize);
}

/** Points in chunk `index`: chunkSize for every chunk but the last, which takes the remainder. */
export function chunkPoints(points: number, chunkSize: number, index: number): number {
  const count = chunkCount(points, chunkSize);
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new RangeError(`chunk index ${index} is outside 0..${count - 1}`);
  }
  return index < count - 1 ? chunkSize : points - chunkSize * (count - 1);
}
