import { connect, type Socket } from 'node:net';

/** What came back on a raw connection until the server closed it (or the deadline passed). */
export interface RawExchange {
  /** Everything the server sent. */
  text: string;
  /** The server ended or reset the connection before the deadline. */
  closed: boolean;
  /** Milliseconds from the first write to the close (or the deadline). */
  elapsedMs: number;
}

/** A parsed raw HTTP/1.1 response. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Opens a TCP connection to 127.0.0.1:`port`. */
export function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/**
 * Writes `data` on a fresh connection (never ending the writing side) and collects what the
 * server sends until it closes the connection or `deadlineMs` passes.
 */
export async function exchange(
  port: number,
  data: string,
  deadlineMs = 10_000,
): Promise<RawExchange> {
  const socket = await open(port);
  return collect(socket, data, deadlineMs);
}

/** Like {@link exchange} on an open socket. */
export function collect(socket: Socket, data: string, deadlineMs = 10_000): Promise<RawExchange> {
  return new Promise((resolve) => {
    let text = '';
    const started = Date.now();
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.removeAllListeners('data');
      resolve({ text, closed, elapsedMs: Date.now() - started });
    };
    const timer = setTimeout(() => {
      finish(false);
      socket.destroy();
    }, deadlineMs);
    socket.on('data', (chunk) => {
      text += chunk.toString('utf8');
    });
    socket.once('close', () => finish(true));
    socket.on('error', () => {});
    if (data !== '') socket.write(data);
  });
}

/**
 * One request on an open keep-alive socket: writes it and resolves with the response once
 * its `content-length` bytes have arrived.
 */
export function requestOn(socket: Socket, data: string, deadlineMs = 5_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => {
      socket.off('data', onData);
      reject(new Error(`no complete response within ${deadlineMs} ms: ${JSON.stringify(text)}`));
    }, deadlineMs);
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const parsed = tryParse(text);
      if (parsed) {
        clearTimeout(timer);
        socket.off('data', onData);
        resolve(parsed);
      }
    };
    socket.on('data', onData);
    socket.write(data);
  });
}

function tryParse(text: string): RawResponse | undefined {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const response = parseResponse(text);
  const length = Number(response.headers['content-length'] ?? 0);
  return Buffer.byteLength(response.body) >= length ? response : undefined;
}

/** Splits a raw HTTP/1.1 response into status, lower-cased headers and body. */
export function parseResponse(text: string): RawResponse {
  const end = text.indexOf('\r\n\r\n');
  const head = end < 0 ? text : text.slice(0, end);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0)
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return {
    status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0),
    headers,
    body: end < 0 ? '' : text.slice(end + 4),
  };
}
