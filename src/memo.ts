/**
 * Remembers the results of a pure function by a key made of its arguments, up to `limit` of them;
 * when full it forgets them all and starts again (the keys in use come back at once). For work
 * that every turn of a burst repeats with the same arguments: the reminder times of a session
 * everyone enrols in, a programme's settings parsed from the same JSON, a statement rewritten for
 * SQLite. Results are shared: callers must not change them.
 */
export function memoize<A extends unknown[], V>(
  keyOf: (...args: A) => string,
  compute: (...args: A) => V,
  limit = 1000,
): (...args: A) => V {
  const results = new Map<string, V>();
  return (...args: A) => {
    const key = keyOf(...args);
    const known = results.get(key);
    if (known !== undefined || results.has(key)) return known as V;
    const value = compute(...args);
    if (results.size >= limit) results.clear();
    results.set(key, value);
    return value;
  };
}
