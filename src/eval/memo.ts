/**
 * @module eval/memo
 * Small memo helpers for the replay: per-row values (confidence scores, answer features,
 * agreements) are computed once and reused by every method, setting and fold, and are dropped
 * with the row.
 */

/** The map's value for `key`, created with `create` the first time. */
export function getOrInsert<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}

/** A memo of values per (row, key); rows are held weakly. */
export function createRowMemo<V>(): (row: object, key: string, compute: () => V) => V {
  const memo = new WeakMap<object, Map<string, V>>();
  return (row, key, compute) => {
    let byKey = memo.get(row);
    if (byKey === undefined) {
      byKey = new Map();
      memo.set(row, byKey);
    }
    return getOrInsert(byKey, key, compute);
  };
}
