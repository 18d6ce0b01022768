/** Reading a server message's `params` (openapi.yaml `Message.params`). */
export type Params = Record<string, unknown> | undefined;

/** A parameter as text ('' when absent). */
export function str(params: Params, name: string): string {
  const v = params?.[name];
  return v === undefined || v === null ? '' : String(v);
}

/** A parameter as a number (NaN when absent). */
export function num(params: Params, name: string): number {
  return Number(params?.[name] ?? NaN);
}
