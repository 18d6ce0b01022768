/**
 * Pure clock helpers for the models and views: parse a server time, the
 * skew between the browser's and the server's clocks, the seconds left to a
 * deadline. Unit-tested in src/__tests__/format.spec.ts.
 */
import { IIdle } from './tokens';

/** Parse an ISO date; null for null/invalid. */
export function parseTime(iso: string | null | undefined): number | null {
  if (!iso) {
    return null;
  }
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

/**
 * Server clock minus browser clock, in ms, from one status reply.
 *
 * `sentAt`/`receivedAt` are the browser times around the request; the server
 * stamped `serverTime` somewhere in between, so the midpoint is the best
 * estimate of the browser time at that moment.
 */
export function clockSkew(
  serverTime: string | null | undefined,
  sentAt: number,
  receivedAt: number
): number {
  const server = parseTime(serverTime);
  if (server === null) {
    return 0;
  }
  return server - (sentAt + receivedAt) / 2;
}

/**
 * Seconds left until `deadline` at browser time `now`, correcting for the
 * skew between the two clocks (server = browser + skewMs). May be negative
 * (the deadline passed); null when there is no deadline.
 */
export function remainingSeconds(
  deadline: string | null | undefined,
  now: number,
  skewMs: number
): number | null {
  const d = parseTime(deadline);
  if (d === null) {
    return null;
  }
  return (d - (now + skewMs)) / 1000;
}

/** Whether the idle countdown runs: active or idle, with a deadline. */
export function countsDown(idle: IIdle): boolean {
  return (
    (idle.state === 'active' || idle.state === 'idle') && idle.deadline !== null
  );
}
