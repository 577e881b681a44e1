/**
 * @module cache/semantic-index
 * The in-process index of the semantic stage: for each partition (tenant scope, model, settings
 * and conversation so far — see `cache-key.ts`), the lexical vectors of the last user messages
 * whose answers are cached, each pointing at its exact key. Bounded: past `maxEntries` the
 * oldest go, and expired ones are dropped when met. A search does not scan the partition: an
 * inverted index from word to entries yields the candidates that share at least one of the
 * query's rarest words (a near-duplicate above any useful threshold shares most of its words),
 * and at most `maxCandidates` of them are scored.
 *
 * The index lives in the process: after a restart, or on another replica sharing Redis, exact
 * hits still work while semantic ones start again from what this process has stored since.
 */

import { type LexicalVector, similarity } from './lexical-vector.js';

interface IndexEntry {
  key: string;
  partition: Partition;
  vector: LexicalVector;
  expiresAt: number;
}

interface Partition {
  id: string;
  entries: Set<IndexEntry>;
  postings: Map<number, Set<IndexEntry>>;
}

export interface SemanticMatch {
  key: string;
  similarity: number;
}

export interface SemanticIndex {
  add(partition: string, key: string, vector: LexicalVector, expiresAt: number): void;
  /** The most similar live entry at or above `threshold`, if any. */
  search(partition: string, vector: LexicalVector, threshold: number): SemanticMatch | undefined;
  remove(key: string): void;
  readonly size: number;
}

export interface SemanticIndexOptions {
  maxEntries: number;
  now?: () => number;
  /** Rarest query words whose postings give the candidates; default 8. */
  probeWords?: number;
  /** Most candidates scored per search; default 2,000. */
  maxCandidates?: number;
}

export function createSemanticIndex(options: SemanticIndexOptions): SemanticIndex {
  const now = options.now ?? Date.now;
  const probeWords = options.probeWords ?? 8;
  const maxCandidates = options.maxCandidates ?? 2_000;
  // Insertion order is age order: the first entry is the oldest.
  const byKey = new Map<string, IndexEntry>();
  const partitions = new Map<string, Partition>();

  function remove(entry: IndexEntry): void {
    byKey.delete(entry.key);
    const partition = entry.partition;
    partition.entries.delete(entry);
    for (const word of entry.vector.words) {
      const posting = partition.postings.get(word);
      if (posting === undefined) continue;
      posting.delete(entry);
      if (posting.size === 0) partition.postings.delete(word);
    }
    if (partition.entries.size === 0) partitions.delete(partition.id);
  }

  return {
    add(partitionId, key, vector, expiresAt) {
      const existing = byKey.get(key);
      if (existing !== undefined) remove(existing);
      while (byKey.size >= options.maxEntries) {
        const oldest = byKey.values().next().value;
        if (oldest === undefined) break;
        remove(oldest);
      }
      let partition = partitions.get(partitionId);
      if (partition === undefined) {
        partition = { id: partitionId, entries: new Set(), postings: new Map() };
        partitions.set(partitionId, partition);
      }
      const entry: IndexEntry = { key, partition, vector, expiresAt };
      byKey.set(key, entry);
      partition.entries.add(entry);
      for (const word of vector.words) {
        let posting = partition.postings.get(word);
        if (posting === undefined) {
          posting = new Set();
          partition.postings.set(word, posting);
        }
        posting.add(entry);
      }
    },

    search(partitionId, vector, threshold) {
      const partition = partitions.get(partitionId);
      if (partition === undefined) return undefined;
      const postings: Set<IndexEntry>[] = [];
      for (const word of vector.words) {
        const posting = partition.postings.get(word);
        if (posting !== undefined) postings.push(posting);
      }
      postings.sort((a, b) => a.size - b.size);
      const at = now();
      const seen = new Set<IndexEntry>();
      const expired: IndexEntry[] = [];
      let best: SemanticMatch | undefined;
      search: for (const posting of postings.slice(0, probeWords)) {
        for (const entry of posting) {
          if (seen.has(entry)) continue;
          if (seen.size >= maxCandidates) break search;
          seen.add(entry);
          if (entry.expiresAt <= at) {
            expired.push(entry);
            continue;
          }
          const score = similarity(vector, entry.vector);
          if (score >= threshold && (best === undefined || score > best.similarity)) {
            best = { key: entry.key, similarity: score };
          }
        }
      }
      for (const entry of expired) remove(entry);
      return best;
    },

    remove(key) {
      const entry = byKey.get(key);
      if (entry !== undefined) remove(entry);
    },

    get size() {
      return byKey.size;
    },
  };
}
