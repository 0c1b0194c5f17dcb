// The time the app's rules run on: holds end, subscriptions pass their end date. Tests
// move it forward instead of waiting; everything else reads the system clock.
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that stands still until moved: for tests (a hold of 30 days ends in one call). */
export class ManualClock implements Clock {
  private current: Date;

  constructor(start: Date = new Date()) {
    this.current = new Date(start);
  }

  now(): Date {
    return new Date(this.current);
  }

  set(to: Date): void {
    this.current = new Date(to);
  }

  advanceDays(days: number): void {
    this.current = new Date(this.current.getTime() + days * 86_400_000);
  }
}

/** The calendar day (UTC) of a moment, as YYYY-MM-DD: subscriptions start and end on days. */
export function utcDay(moment: Date): string {
  return moment.toISOString().slice(0, 10);
}
