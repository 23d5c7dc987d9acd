// Small helpers for raw D1 statements on hot paths (D1 allows at most 100 bound parameters per statement).

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function placeholders(n: number): string {
  return Array.from({ length: n }, () => "?").join(",");
}
