/**
 * Maps kept in the order of their entries' `at` (epoch ms), oldest first — so that
 * expiry visits only the expired head: {@link setNewest} to add or renew an entry,
 * {@link dropExpired} to forget the old ones. Used by Handoffs and JoinInputs.
 */

/** Sets `key` as the newest entry (moved to the end if it was there). */
export function setNewest<K, V extends { at: number }>(map: Map<K, V>, key: K, value: V): void {
  map.delete(key);
  map.set(key, value);
}

/** Forgets the entries older than `ttlMs` at `now` (the expired head only). */
export function dropExpired<K, V extends { at: number }>(
  map: Map<K, V>,
  now: number,
  ttlMs: number,
): void {
  for (const [key, value] of map) {
    if (now - value.at <= ttlMs) return;
    map.delete(key);
  }
}
