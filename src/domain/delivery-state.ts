// The states a delivery moves through. pending: due to be sent; held: waiting in its webhook's line (behind an
// earlier delivery, or while the webhook is paused or disabled); retrying: attempted, next attempt scheduled;
// delivered, failed (for good) and resolved (an operator closed it) are settled.
export const deliveryStates = ["pending", "held", "retrying", "delivered", "failed", "resolved"] as const;
export type DeliveryState = (typeof deliveryStates)[number];

/** The states a delivery never leaves on its own. */
export const SETTLED_STATES: readonly DeliveryState[] = ["delivered", "failed", "resolved"];
