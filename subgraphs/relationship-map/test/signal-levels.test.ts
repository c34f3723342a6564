import { describe, expect, it } from 'vitest';
import { SIGNAL_THRESHOLDS, toSignalLevels } from '../src/facebook/signal-levels.js';

const levels = (posts: number, reactions: number, comments: number, windowDays = 14) =>
  toSignalLevels({ posts, reactions, comments }, windowDays);

describe('toSignalLevels (thresholds per 14 days, scaled linearly with windowDays)', () => {
  it('documents its thresholds for the default 14-day window', () => {
    expect(SIGNAL_THRESHOLDS).toEqual({
      windowDays: 14,
      posts: { medium: 3, high: 10 },
      reactions: { medium: 20, high: 100 },
      comments: { medium: 5, high: 30 },
      activityVolume: { medium: 25, high: 120 },
    });
  });

  it('puts each 14-day boundary on the right side', () => {
    expect([2, 3, 9, 10].map((n) => levels(n, 0, 0).postCount)).toEqual(['LOW', 'MEDIUM', 'MEDIUM', 'HIGH']);
    expect([19, 20, 99, 100].map((n) => levels(0, n, 0).reactionCount)).toEqual(['LOW', 'MEDIUM', 'MEDIUM', 'HIGH']);
    expect([4, 5, 29, 30].map((n) => levels(0, 0, n).commentCount)).toEqual(['LOW', 'MEDIUM', 'MEDIUM', 'HIGH']);
  });

  it('buckets activityVolume from posts + reactions + comments as LOW / MODERATE / HIGH', () => {
    expect(levels(4, 15, 5).activityVolume).toBe('LOW'); // 24
    expect(levels(5, 15, 5).activityVolume).toBe('MODERATE'); // 25
    expect(levels(9, 90, 20).activityVolume).toBe('MODERATE'); // 119
    expect(levels(10, 90, 20).activityVolume).toBe('HIGH'); // 120
    expect(levels(0, 0, 0)).toEqual({ activityVolume: 'LOW', reactionCount: 'LOW', commentCount: 'LOW', postCount: 'LOW' });
  });

  it('scales the thresholds with the window, exactly at the boundaries', () => {
    // 7 days: posts medium 1.5, high 5
    expect([1, 2, 4, 5].map((n) => levels(n, 0, 0, 7).postCount)).toEqual(['LOW', 'MEDIUM', 'MEDIUM', 'HIGH']);
    // 28 days: reactions medium 40, high 200
    expect([39, 40, 199, 200].map((n) => levels(0, n, 0, 28).reactionCount)).toEqual(['LOW', 'MEDIUM', 'MEDIUM', 'HIGH']);
    // 90 days: posts medium 19.29, high 64.29; volume medium 160.7, high 771.4
    expect([19, 20, 64, 65].map((n) => levels(n, 0, 0, 90).postCount)).toEqual(['LOW', 'MEDIUM', 'MEDIUM', 'HIGH']);
    expect([160, 161, 771, 772].map((n) => levels(0, n, 0, 90).activityVolume)).toEqual(['LOW', 'MODERATE', 'MODERATE', 'HIGH']);
    // 1 day: one post is already above the high threshold of 10/14
    expect([0, 1].map((n) => levels(n, 0, 0, 1).postCount)).toEqual(['LOW', 'HIGH']);
    expect([0, 1, 2, 3].map((n) => levels(0, 0, n, 1).commentCount)).toEqual(['LOW', 'MEDIUM', 'MEDIUM', 'HIGH']);
  });

  it('refuses a window outside 1..90 days and counts that are not whole numbers >= 0', () => {
    for (const days of [0, 91, 1.5, Number.NaN]) expect(() => levels(1, 1, 1, days)).toThrow(RangeError);
    expect(() => levels(-1, 0, 0)).toThrow(RangeError);
    expect(() => levels(0, 0.5, 0)).toThrow(RangeError);
    expect(() => levels(0, 0, Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});
