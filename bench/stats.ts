/** Small statistics shared by the benches. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('median of no samples');
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
