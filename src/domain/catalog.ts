export const EVENT_TYPES: { type: string; family: string; description: string }[] = [];
