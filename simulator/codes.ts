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
  [501, 'service proxy error'],
  [602, 'device offline'],
  [612, 'gateway did not answer'],
  [708, 'scene permission denied'],
  [716, 'scene does not exist'],
  [804, 'token failed'],
  [1202, 'scene does not exist'],
  [2002, 'appid or appkey illegal'],
  [2004, 'access token incorrect'],
  [2005, 'access token expired'],
  [2006, 'refresh token incorrect'],
  [2007, 'refresh token expired'],
  [2009, 'invalid openId'],
  [2010, 'unauthorized user'],
]);

/**
 * What Aqara says instead when a request carries `Lang: zh`. A client must never match on message
 * text: these make a test that does so fail.
 */
export const AQARA_MESSAGES_ZH: ReadonlyMap<number, string> = new Map([
  [100, '超时'],
  [104, '服务器繁忙'],
  [105, '请求时间无效'],
  [106, '签名无效'],
  [107, 'appKey非法'],
  [108, 'token已过期'],
  [109, 'token缺失'],
  [302, '参数错误'],
  [305, '缺少必要的请求头'],
  [429, '请求过于频繁'],
  [500, '服务错误'],
  [501, '服务代理错误'],
  [602, '设备离线'],
  [612, '网关未响应'],
  [708, '场景无权限'],
  [716, '场景不存在'],
  [804, 'token失效'],
  [1202, '场景不存在'],
  [2002, 'appid或appkey非法'],
  [2004, 'accessToken错误'],
  [2005, 'accessToken已过期'],
  [2006, 'refreshToken错误'],
  [2007, 'refreshToken已过期'],
  [2009, 'openId无效'],
  [2010, '用户未授权'],
]);

export function messageFor(code: number): string {
  return AQARA_MESSAGES.get(code) ?? 'error';
}

export function answer(code: number, message = messageFor(code), result: unknown = null): AqaraAnswer {
  return { code, message, result };
}

/**
 * The answer as Aqara would word it for a `Lang: zh` request: the Chinese text for the code, the
 * English specifics (which header, which parameter) moved to the detail. "Success" stays English.
 */
export function inChinese(reply: AqaraAnswer): AqaraAnswer {
  const zh = AQARA_MESSAGES_ZH.get(reply.code);
  if (zh === undefined) return reply;
  const specific = reply.message !== messageFor(reply.code) ? reply.message : undefined;
  return { ...reply, message: zh, detail: reply.detail ?? specific };
}
