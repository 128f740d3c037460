/** The DLQ page size. */
export const DLQ_LIMIT = 50;

/** The first non-empty line of an error message (the whole text is in the row's details). */
export function firstLine(text: string | undefined, max = 160): string {
  const line = (text ?? '').split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  const trimmed = line.trim();
  return trimmed.length > max ? `${trimmed.slice(0, max - 1)}…` : trimmed;
}

/** Where a DLQ page is and where Previous / Next go. */
export interface DlqPaging {
  /** 1-based position of the first item shown, 0 on an empty page. */
  from: number;
  /** Position of the last item shown, 0 on an empty page. */
  to: number;
  /** The offset of the previous page; undefined on the first page. */
  previous: number | undefined;
  /** The offset of the next page; undefined when this page was not full. */
  next: number | undefined;
}

/**
 * The paging of a DLQ page at `offset` that answered `count` items of at most `limit`: a
 * full page may have a next one (the API gives no total), a short one has none.
 */
export function dlqPaging(offset: number, count: number, limit = DLQ_LIMIT): DlqPaging {
  const start = Math.max(0, Math.floor(offset));
  return {
    from: count > 0 ? start + 1 : 0,
    to: count > 0 ? start + count : 0,
    previous: start > 0 ? Math.max(0, start - limit) : undefined,
    next: count >= limit ? start + limit : undefined,
  };
}
