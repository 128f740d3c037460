import { randomUUID } from 'node:crypto';
import {
  DEFAULT_TENANT,
  DLQ_PAGE,
  type DLQFilter,
  type DLQItem,
  type DLQPage,
  type NewDLQItem,
  pageLimit,
  parseSeqCursor,
  type TenantScope,
} from '@spane/core/store';
import { copy } from './json-copy.js';
import type { Sequence } from './sequence.js';

interface DeadLetter {
  item: DLQItem;
  /** Creation order, for newest-first listings and cursors. */
  seq: number;
}

/** The dead letter queue: items by id, listed newest first. */
export class MemoryDeadLetters {
  readonly #items = new Map<string, DeadLetter>();
  readonly #sequence: Sequence;
  readonly #now: () => string;

  /**
   * @param sequence - numbers the items in creation order.
   * @param now - the time, as ISO-8601 text, of an item added without `failedAt`.
   */
  constructor(sequence: Sequence, now: () => string) {
    this.#sequence = sequence;
    this.#now = now;
  }

  /** Stores a new item under a new id. */
  add(input: NewDLQItem): DLQItem {
    const item: DLQItem = {
      ...copy(input),
      tenantId: input.tenantId ?? DEFAULT_TENANT,
      id: randomUUID(),
      failedAt: input.failedAt ?? this.#now(),
    };
    this.#items.set(item.id, { item, seq: this.#sequence.next() });
    return copy(item);
  }

  /** A page of the matching items, newest first, after the filter's cursor. */
  list(filter: DLQFilter): DLQPage {
    const limit = pageLimit(filter.limit, DLQ_PAGE);
    const before = Number(parseSeqCursor(filter.cursor) ?? Number.POSITIVE_INFINITY);
    const matches = this.#of(filter)
      .filter(({ seq }) => seq < before)
      .sort((a, b) => b.seq - a.seq);
    const page = matches.slice(0, limit);
    const result: DLQPage = { items: copy(page.map(({ item }) => item)) };
    if (matches.length > limit) result.nextCursor = String(page[page.length - 1]!.seq);
    return result;
  }

  /** Items of the tenant, or of every tenant. */
  count(scope: TenantScope & { allTenants?: boolean }): number {
    return this.#of(scope).length;
  }

  /** The item with this id (with `tenantId`, only if it is that tenant's), if any. */
  get(id: string, tenantId?: string): DLQItem | null {
    const entry = this.#items.get(id);
    if (!entry || (tenantId !== undefined && entry.item.tenantId !== tenantId)) return null;
    return copy(entry.item);
  }

  /** Removes the item; false when there was none. */
  remove(id: string): boolean {
    return this.#items.delete(id);
  }

  #of(scope: TenantScope & { allTenants?: boolean }): DeadLetter[] {
    const tenantId = scope.tenantId ?? DEFAULT_TENANT;
    return [...this.#items.values()].filter(
      ({ item }) => scope.allTenants || item.tenantId === tenantId,
    );
  }
}
