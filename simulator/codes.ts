import type { AqaraAnswer } from './types';

/**
 * Aqara's answer codes with the texts Aqara uses, so every error the simulator sends reads like
 * the real service and fault rules can omit the message.
 */
export const AQARA_MESSAGES: ReadonlyMap<number, string> = new Map([
  [0, 'Success'],
  [100, 'timeout'],
  [104, 'server busy'],
  [105, 'request time is invalid'],
  [106, 'invalid sign'],
  [107, 'illegal appKey'],
  [108, 'token has expired'],
  [109, 'token is absent'],
  [302, 'params error'],
  [305, 'missing required header'],
  [429, 'too many requests'],
  [500, 'service error'],
  [602, 'device offline'],
  [708, 'scene permission denied'],
  [716, 'scene does not exist'],
  [1202, 'scene does not exist'],
  [2002, 'appid or appkey illegal'],
  [2004, 'access token incorrect'],
  [2005, 'access token expired'],
  [2006, 'refresh token incorrect'],
  [2007, 'refresh token expired'],
  [2009, 'invalid openId'],
  [2010, 'unauthorized user'],
]);

export function messageFor(code: number): string {
  return AQARA_MESSAGES.get(code) ?? 'error';
}

export function answer(code: number, message = messageFor(code), result: unknown = null): AqaraAnswer {
  return { code, message, result };
}
