import { sensorWave } from './device-intents';
import { OFFLINE_DID, PLUG_DID, SENSOR_DID } from './devices';
import type { HistorySeries } from './history-series';

/**
 * The default account's history: six weeks back from the day the simulator was made, enough for
 * a day, a week and a month of a sensor that reports every minute.
 *
 * | device | resource | every | what |
 * |---|---|---|---|
 * | SENSOR_DID | 0.1.85 temperature | 1 min | 2500 + the drift reads see (hundredths of °C) |
 * | SENSOR_DID | 0.2.85 humidity | 1 min | 5500 − 2 × the same drift |
 * | SENSOR_DID | 0.3.85 pressure | 5 min, 2 % missing | a daily wave around 100830 Pa |
 * | SENSOR_DID | 8.0.2008 battery voltage | 1 h | falling 2 mV a day |
 * | PLUG_DID | 0.12.85 power | 1 min | W with one decimal, a daily pattern (more at weekends) |
 * | PLUG_DID | 0.13.85 energy | 5 min | accumulated Wh, the integral of that power, never falling |
 * | OFFLINE_DID | 0.1.85, 0.2.85 | 10 min | ending three days ago, when its battery ran out |
 *
 * Only temperature and humidity match the current values a read answers; the others are history
 * of their own (a read of the plug's energy answers its fixed current value).
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** How far back the default history goes. */
export const DEFAULT_HISTORY_DAYS = 42;

/** Devices say timeZone GMT+08:00: the plug's day follows that clock. */
const LOCAL_OFFSET = 8 * HOUR;

/** Watts by local hour: cooking at 06:00 and 17:00, keeping warm after; weekends also at noon. */
const STANDBY_W = 1.2;
const COOK_W = 650;
const WARM_W = 118.5;
const WEEKDAY = hours({ 6: COOK_W, 7: WARM_W, 8: WARM_W, 17: COOK_W, 18: WARM_W, 19: WARM_W });
const WEEKEND = hours({ 6: COOK_W, 7: WARM_W, 11: COOK_W, 12: WARM_W, 17: COOK_W, 18: WARM_W, 19: WARM_W });
/** A Monday, local midnight (2020-01-06 00:00 GMT+8): the meter reads 0 Wh before it. */
const METER_START = Date.UTC(2020, 0, 6) - LOCAL_OFFSET;

function hours(busy: Record<number, number>): number[] {
  return Array.from({ length: 24 }, (_, hour) => busy[hour] ?? STANDBY_W);
}

/** Local day 0 (Monday) to 6 (Sunday). */
function profileOf(dayIndex: number): number[] {
  return dayIndex % 7 >= 5 ? WEEKEND : WEEKDAY;
}

const dayWh = (profile: number[]): number => profile.reduce((sum, watts) => sum + watts, 0);
const WEEK_WH = 5 * dayWh(WEEKDAY) + 2 * dayWh(WEEKEND);

/** The plug's power at a time (W). */
export function plugPower(time: number): number {
  const since = time - METER_START;
  if (since < 0) return STANDBY_W;
  return profileOf(Math.floor(since / DAY))[Math.floor((since % DAY) / HOUR)];
}

/** Wh the plug used from METER_START to the time: closed form, so any time costs the same. */
export function plugEnergy(time: number): number {
  const since = time - METER_START;
  if (since < 0) return 0;
  const day = Math.floor(since / DAY);
  let wh = Math.floor(day / 7) * WEEK_WH;
  for (let earlier = day - (day % 7); earlier < day; earlier += 1) wh += dayWh(profileOf(earlier));
  const profile = profileOf(day);
  const inDay = since % DAY;
  const hour = Math.floor(inDay / HOUR);
  for (let earlier = 0; earlier < hour; earlier += 1) wh += profile[earlier];
  return wh + (profile[hour] * (inDay % HOUR)) / HOUR;
}

/** Fresh series for a simulator made at `now`; history starts at UTC midnight six weeks earlier. */
export function defaultHistory(now: number): HistorySeries[] {
  const since = Math.floor(now / DAY) * DAY - DEFAULT_HISTORY_DAYS * DAY;
  return [
    {
      subjectId: SENSOR_DID,
      resourceId: '0.1.85',
      since,
      everyMs: MINUTE,
      jitterMs: 4_000,
      value: (time) => String(2500 + sensorWave(time)),
    },
    {
      subjectId: SENSOR_DID,
      resourceId: '0.2.85',
      since,
      everyMs: MINUTE,
      jitterMs: 4_000,
      value: (time) => String(5500 - 2 * sensorWave(time)),
    },
    {
      subjectId: SENSOR_DID,
      resourceId: '0.3.85',
      since,
      everyMs: 5 * MINUTE,
      jitterMs: 20_000,
      missing: 0.02,
      value: (time) => String(100830 + Math.round(Math.sin((time / DAY) * 2 * Math.PI) * 300)),
    },
    {
      subjectId: SENSOR_DID,
      resourceId: '8.0.2008',
      since,
      everyMs: HOUR,
      jitterMs: 60_000,
      value: (time) => String(3100 - 2 * Math.floor((time - since) / DAY)),
    },
    {
      subjectId: PLUG_DID,
      resourceId: '0.12.85',
      since,
      everyMs: MINUTE,
      jitterMs: 2_000,
      value: (time) => plugPower(time).toFixed(1),
    },
    {
      subjectId: PLUG_DID,
      resourceId: '0.13.85',
      since,
      everyMs: 5 * MINUTE,
      jitterMs: 10_000,
      value: (time) => String(Math.floor(plugEnergy(time))),
    },
    ...['0.1.85', '0.2.85'].map((resourceId): HistorySeries => ({
      subjectId: OFFLINE_DID,
      resourceId,
      since,
      until: now - 3 * DAY,
      everyMs: 10 * MINUTE,
      jitterMs: 30_000,
      value: (time) => String(resourceId === '0.1.85' ? 1210 + sensorWave(time) : 7010 - sensorWave(time)),
    })),
  ];
}
