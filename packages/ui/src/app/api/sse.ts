/** One Server-Sent Events frame. */
export interface SseFrame {
  event: string;
  data: string;
  id?: string;
}

/**
 * Splits a Server-Sent Events byte stream into frames, chunk by chunk (a frame may arrive
 * in pieces). Comment lines (`: keep-alive`) are dropped; a frame without `event:` is a
 * `message`; several `data:` lines are joined with newlines, as the standard says.
 */
export class SseParser {
  #buffer = '';
  #event = '';
  #data: string[] = [];
  #id: string | undefined;
  /** The last chunk ended with CR: a LF starting the next one belongs to that line end. */
  #afterCr = false;

  /** Feeds text; returns the frames it completed. */
  push(text: string): SseFrame[] {
    if (this.#afterCr && text !== '') {
      this.#afterCr = false;
      if (text.startsWith('\n')) text = text.slice(1);
    }
    this.#buffer += text;
    const frames: SseFrame[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.#buffer);
      if (!match) break;
      const line = this.#buffer.slice(0, match.index);
      this.#buffer = this.#buffer.slice(match.index + match[0].length);
      if (match[0] === '\r' && this.#buffer === '') this.#afterCr = true;
      const frame = this.#line(line);
      if (frame) frames.push(frame);
    }
    return frames;
  }

  #line(line: string): SseFrame | undefined {
    if (line === '') {
      if (this.#data.length === 0) {
        this.#event = '';
        return undefined;
      }
      const frame: SseFrame = { event: this.#event || 'message', data: this.#data.join('\n') };
      if (this.#id !== undefined) frame.id = this.#id;
      this.#event = '';
      this.#data = [];
      return frame;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.#event = value;
    else if (field === 'data') this.#data.push(value);
    else if (field === 'id') this.#id = value;
    return undefined;
  }
}

/** Options of {@link readEventStream}. */
export interface EventStreamOptions {
  url: string;
  headers: Record<string, string>;
  signal: AbortSignal;
  onFrame: (frame: SseFrame) => void;
}

/**
 * Reads an SSE response with `fetch` (an `EventSource` cannot send the API key header)
 * until the server ends it or `signal` aborts. Resolves when the body ends; rejects on a
 * non-2xx answer (with the status) or a broken connection.
 */
export async function readEventStream(options: EventStreamOptions): Promise<void> {
  const response = await fetch(options.url, {
    headers: { ...options.headers, accept: 'text/event-stream' },
    signal: options.signal,
  });
  if (!response.ok || !response.body) {
    throw new Error(`event stream answered ${response.status}`);
  }
  const parser = new SseParser();
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    for (const frame of parser.push(value)) options.onFrame(frame);
  }
}
