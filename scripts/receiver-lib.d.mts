export interface Received {
  method: string;
  url: string;
  /** The request path, without the query. */
  path: string;
  headers: Record<string, string>;
  rawBody: string;
  json: any;
  /** Arrivals, answers and clients going away share one counter: their order is exact. */
  seq: number;
  receivedAt: number;
  signatureValid: boolean | null;
  standardSignatureValid: boolean | null;
  /** The status we chose to answer (null: never answered). */
  respondedStatus: number | null;
  /** When the answer was completely written (null: never, or not yet). */
  respondedAt: number | null;
  respondedSeq: number | null;
  /** The client closed the connection before our answer was complete: it gave up (a timeout). */
  clientGone: boolean;
  clientGoneAt: number | null;
  clientGoneSeq?: number;
  bytesSent: number;
}
export interface Answer {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  delayMs?: number;
  /** Write this many bytes, in 1 KiB chunks, as the body. */
  streamBytes?: number;
  /** Never answer: the request stays open until the client goes away. */
  never?: boolean;
}
export interface Behaviour {
  failStatus?: number;
  failCount?: number;
  failRate?: number;
  delayMs?: number;
  slowRate?: number;
  slowMs?: number;
  retryAfter?: number | string | null;
  gone?: boolean;
  downUntil?: number;
  failEvents?: string[];
  /** The secret this path's signatures are checked with (else the receiver's). */
  secret?: string;
  /** Decides one request's answer; `history` holds this path's earlier requests. Undefined: the rules above. */
  respond?: (entry: Received, history: Received[]) => Answer | undefined;
}
export interface Receiver {
  port: number;
  url: string;
  received: Received[];
  openRequests(): number;
  sequence(): number;
  waitFor(predicate: (r: Received) => boolean, timeoutMs?: number): Promise<Received>;
  setBehaviour(b: Behaviour): void;
  route(path: string, b: Behaviour): void;
  close(): Promise<void>;
}
export declare function verifySignatures(
  headers: Record<string, string>,
  rawBody: string,
  secret: string | null,
  prefix?: string,
  nowSec?: number,
): { v1: boolean | null; standard: boolean | null };
export declare function startReceiver(opts?: {
  port?: number;
  secret?: string | null;
  prefix?: string;
  behaviour?: Behaviour;
  log?: ((r: Received) => void) | null;
}): Promise<Receiver>;
