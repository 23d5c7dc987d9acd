import type { Received } from "../scripts/receiver-lib.mjs";
export interface JudgedEvent {
  event_id: string;
  target: { type: string; id: number | string };
}
export interface Outcome {
  okStart: number | null;
  final: number | null;
}
export interface ReceiverDelivery {
  id: string;
  event_id: string;
  first: number;
  okStart: number | null;
  okEnd: number | null;
  failedAt: number | null;
}
export declare function lineOf(mode: "pause" | "continue", event: JudgedEvent): string;
export declare function violations(
  mode: "pause" | "continue",
  events: JudgedEvent[],
  outcome: (e: JudgedEvent) => Outcome,
): { event: number; event_id: string; line: string }[];
export declare function receiverDeliveries(
  arrivals: Pick<
    Received,
    "headers" | "json" | "seq" | "respondedStatus" | "respondedSeq" | "clientGone" | "clientGoneSeq"
  >[],
  maxAttempts: number,
): ReceiverDelivery[];
export declare function eventOutcome(deliveries: ReceiverDelivery[]): Outcome & { delivered: boolean; failed: boolean };
