import { describe, expect, it } from 'vitest';
import { type SseFrame, SseParser } from '../src/app/api/sse.js';

/** Feeds chunks to a new parser; every frame it completed, in order. */
function parse(...chunks: string[]): SseFrame[] {
  const parser = new SseParser();
  return chunks.flatMap((chunk) => parser.push(chunk));
}

/** Expects `text` to give `frames` whole, split in two at every position, and char by char. */
function expectFrames(text: string, frames: SseFrame[]) {
  expect(parse(text)).toEqual(frames);
  for (let i = 0; i <= text.length; i++) {
    expect(parse(text.slice(0, i), text.slice(i)), `split at ${i}`).toEqual(frames);
  }
  expect(parse(...text.split(''))).toEqual(frames);
}

const STREAM = [
  ': connected',
  'event: state',
  'data: {"executionId":"e1"}',
  '',
  'event: node:started',
  'id: 7',
  'data: {"nodeId":"a"}',
  '',
  ': keep-alive',
  '',
  'data: plain',
  '',
  '',
];

const FRAMES: SseFrame[] = [
  { event: 'state', data: '{"executionId":"e1"}' },
  { event: 'node:started', data: '{"nodeId":"a"}', id: '7' },
  // The last id given stays the stream's id (the standard's last event ID).
  { event: 'message', data: 'plain', id: '7' },
];

describe('SseParser', () => {
  it('reads frames with LF line ends, split anywhere', () => {
    expectFrames(STREAM.join('\n'), FRAMES);
  });

  it('reads frames with CRLF line ends, split anywhere (between CR and LF too)', () => {
    expectFrames(STREAM.join('\r\n'), FRAMES);
  });

  it('reads frames with CR line ends', () => {
    expectFrames(STREAM.join('\r'), FRAMES);
  });

  it('keeps the event name of a frame whose CRLF arrives split', () => {
    expect(parse('event: node:failed\r', '\ndata: x\r', '\n\r', '\n')).toEqual([
      { event: 'node:failed', data: 'x' },
    ]);
  });

  it('joins several data lines with newlines', () => {
    expectFrames('event: log\ndata: line one\ndata:\ndata:  indented\n\n', [
      { event: 'log', data: 'line one\n\n indented' },
    ]);
    expectFrames('data: a\r\ndata: b\r\n\r\n', [{ event: 'message', data: 'a\nb' }]);
  });

  it('takes a frame without an event field for a message', () => {
    expectFrames('data: hello\n\n', [{ event: 'message', data: 'hello' }]);
  });

  it('drops comment lines, also between the fields of a frame', () => {
    expectFrames(': ping\nevent: x\n: mid-frame\ndata: 1\n\n:\n\n', [{ event: 'x', data: '1' }]);
  });

  it('gives nothing for blank lines alone, or a frame without data', () => {
    expect(parse('\n\n\r\n\r\r\n')).toEqual([]);
    expect(parse('event: lonely\n\n')).toEqual([]);
    // The event name of a frame without data does not leak into the next frame.
    expect(parse('event: lonely\n\ndata: 1\n\n')).toEqual([{ event: 'message', data: '1' }]);
  });

  it('gives nothing until the blank line that ends a frame', () => {
    const parser = new SseParser();
    expect(parser.push('event: a\ndata: 1\n')).toEqual([]);
    expect(parser.push('\n')).toEqual([{ event: 'a', data: '1' }]);
  });

  it('reads a field without a colon as a field with an empty value; ignores unknown fields', () => {
    expectFrames('data\nretry: 1000\nfoo: bar\n\n', [{ event: 'message', data: '' }]);
  });

  it('removes one space after the colon, no more', () => {
    expectFrames('data:no-space\ndata:  two\n\n', [{ event: 'message', data: 'no-space\n two' }]);
  });

  it('keeps colons inside the value', () => {
    expectFrames('data: {"at":"10:00:00"}\n\n', [{ event: 'message', data: '{"at":"10:00:00"}' }]);
  });

  it('reads several frames from one chunk', () => {
    const text = 'data: 1\n\ndata: 2\n\ndata: 3\n\n';
    expect(parse(text).map((f) => f.data)).toEqual(['1', '2', '3']);
  });
});
