import type { FacebookActivity } from './facebook-client.js';

export type ActivityLevel = 'LOW' | 'MODERATE' | 'HIGH';
export type SignalLevel = 'LOW' | 'MEDIUM' | 'HIGH';

export interface SignalLevels {
  activityVolume: ActivityLevel;
  reactionCount: SignalLevel;
  commentCount: SignalLevel;
  postCount: SignalLevel;
}

/**
 * Where the levels change, per 14 days (seed 004's default window), for a personal account.
 * A count below `medium` is LOW, from `medium` up to below `high` MEDIUM (MODERATE for
 * activityVolume), from `high` up HIGH. For another window the thresholds scale linearly:
 * threshold x windowDays / 14 (windowDays 1..90), compared exactly (no rounding).
 *
 * | per 14 days                               | LOW  | MEDIUM / MODERATE | HIGH  |
 * | ----------------------------------------- | ---- | ----------------- | ----- |
 * | postCount (own posts)                     | < 3  | 3 - 9             | >= 10 |
 * | reactionCount (reactions on those posts)  | < 20 | 20 - 99           | >= 100|
 * | commentCount (comments on those posts)    | < 5  | 5 - 29            | >= 30 |
 * | activityVolume (posts+reactions+comments) | < 25 | 25 - 119          | >= 120|
 *
 * E.g. over 7 days 2 posts are MEDIUM (2 >= 1.5) and 5 are HIGH; over 28 days 5 posts are LOW.
 */
export const SIGNAL_THRESHOLDS = {
  windowDays: 14,
  posts: { medium: 3, high: 10 },
  reactions: { medium: 20, high: 100 },
  comments: { medium: 5, high: 30 },
  activityVolume: { medium: 25, high: 120 },
} as const;

/** Buckets the window's totals; pure. Throws RangeError for a windowDays outside 1..90 or a count that is not a whole number >= 0. */
export function toSignalLevels(activity: FacebookActivity, windowDays: number): SignalLevels {
  if (!Number.isInteger(windowDays) || windowDays < 1 || windowDays > 90)
    throw new RangeError('windowDays must be an integer from 1 to 90');
  for (const [name, value] of Object.entries(activity)) {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a whole number >= 0`);
  }
  // count >= t * windowDays / 14, in integers so no boundary is lost to floating point.
  const reaches = (count: number, threshold: number) => count * SIGNAL_THRESHOLDS.windowDays >= threshold * windowDays;
  const level = (count: number, t: { medium: number; high: number }) =>
    reaches(count, t.high) ? 'HIGH' : reaches(count, t.medium) ? 'MEDIUM' : 'LOW';
  const volume = level(activity.posts + activity.reactions + activity.comments, SIGNAL_THRESHOLDS.activityVolume);
  return {
    activityVolume: volume === 'MEDIUM' ? 'MODERATE' : volume,
    reactionCount: level(activity.reactions, SIGNAL_THRESHOLDS.reactions),
    commentCount: level(activity.comments, SIGNAL_THRESHOLDS.comments),
    postCount: level(activity.posts, SIGNAL_THRESHOLDS.posts),
  };
}
