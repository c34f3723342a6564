/**
 * Calendar days in a time zone. No user has a time zone on record yet, so every LINE user gets
 * Asia/Tokyo (seed 002's users); the functions take the zone so a per-user one can plug in.
 */
export const DEFAULT_TIME_ZONE = 'Asia/Tokyo';

const partsFormat = new Map<string, Intl.DateTimeFormat>();

function wallClock(at: Date, timeZone: string) {
  let format = partsFormat.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    partsFormat.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(at).map((p) => [p.type, Number(p.value)]));
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, minute: parts.minute!, second: parts.second! };
}

/** The zone's offset from UTC at `at`, in ms. */
function offsetAt(at: Date, timeZone: string): number {
  const w = wallClock(at, timeZone);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(at.getTime() / 1000) * 1000;
}

/** The instant the zone's clocks show 00:00 on that date (two passes: right across DST changes). */
function midnight(year: number, month: number, day: number, timeZone: string): Date {
  const guess = Date.UTC(year, month - 1, day);
  const first = guess - offsetAt(new Date(guess), timeZone);
  return new Date(guess - offsetAt(new Date(first), timeZone));
}

/** [from, to) of the calendar day containing `at` in `timeZone`, and the day as M/D. */
export function dayOf(at: Date, timeZone: string): { from: Date; to: Date; label: string } {
  const { year, month, day } = wallClock(at, timeZone);
  return { from: midnight(year, month, day, timeZone), to: midnight(year, month, day + 1, timeZone), label: `${month}/${day}` };
}

/** HH:MM on the zone's clocks. */
export function clockTime(at: Date, timeZone: string): string {
  const { hour, minute } = wallClock(at, timeZone);
  return `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
}
