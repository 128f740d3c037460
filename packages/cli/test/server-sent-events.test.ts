import { describe, expect, it } from 'vitest';
import { readServerSentEvents, type ServerSentEvent } from '../src/server-sent-events.js';

/** A body that delivers `chunks` one by one, as a network may split them. */
function body(chunks: readonly string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function read(chunks: readonly string[]): Promise<ServerSentEvent[]> {
  const events: ServerSentEvent[] = [];
  for await (const event of readServerSentEvents(body(chunks))) events.push(event);
  return events;
}

describe('readServerSentEvents', () => {
  it('reads events split anywhere, with comments, CRLF and multi-line data', async () => {
    const text =
      ': keep-alive\n\nevent: state\ndata: {"a":1}\n\r\nevent: node:completed\r\ndata: one\r\ndata:two\r\n\r\ndata: plain\n\n';
    const expected = [
      { event: 'state', data: '{"a":1}' },
      { event: 'node:completed', data: 'one\ntwo' },
      { event: 'message', data: 'plain' },
    ];
    expect(await read([text])).toEqual(expected);
    // Every split point, a CR and LF of one CRLF included.
    for (let at = 1; at < text.length; at++) {
      expect(await read([text.slice(0, at), text.slice(at)])).toEqual(expected);
    }
  });

  it('keeps multi-byte characters split between chunks, and drops an unfinished event', async () => {
    const bytes = new TextEncoder().encode('data: "naïve · ✓"\n\ndata: cut off');
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const b of bytes) controller.enqueue(new Uint8Array([b]));
        controller.close();
      },
    });
    const events: ServerSentEvent[] = [];
    for await (const event of readServerSentEvents(stream)) events.push(event);
    expect(events).toEqual([{ event: 'message', data: '"naïve · ✓"' }]);
  });
});
