export interface Received {
  method: string;
  url: string;
  headers: Record<string, string>;
  rawBody: string;
  json: any;
  receivedAt: number;
  signatureValid: boolean | null;
  standardSignatureValid: boolean | null;
  respondedStatus: number;
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
}
export interface Receiver {
  port: number;
  url: string;
  received: Received[];
  waitFor(predicate: (r: Received) => boolean, timeoutMs?: number): Promise<Received>;
  setBehaviour(b: Behaviour): void;
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
