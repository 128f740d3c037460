/** Why the HTTP listener could not open its port. */
export type ListenErrorCode = 'EADDRINUSE' | 'EACCES' | 'EADDRNOTAVAIL';

const CODES: readonly string[] = ['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL'];

/**
 * The server could not listen on `host:port`: the port is taken (`EADDRINUSE`), needs
 * privileges (`EACCES`), or the host is not an address of this machine (`EADDRNOTAVAIL`).
 * Its message says which in one line, without the system call's wording.
 */
export class ListenError extends Error {
  readonly code: ListenErrorCode;
  readonly host: string;
  readonly port: number;
  constructor(code: ListenErrorCode, host: string, port: number, options?: ErrorOptions) {
    const messages: Record<ListenErrorCode, string> = {
      EADDRINUSE: `port ${port} is in use on ${host}`,
      EACCES: `port ${port} on ${host} needs privileges this process does not have`,
      EADDRNOTAVAIL: `${host} is not an address of this machine (port ${port})`,
    };
    super(messages[code], options);
    this.name = 'ListenError';
    this.code = code;
    this.host = host;
    this.port = port;
  }
}

/** `err` as a {@link ListenError} when it is one of the listener's known failures, else `err`. */
export function toListenError(err: unknown, host: string, port: number): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === undefined || !CODES.includes(code)) return err;
  return new ListenError(code as ListenErrorCode, host, port, { cause: err });
}
