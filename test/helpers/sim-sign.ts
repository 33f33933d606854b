import { createHash, randomBytes } from 'node:crypto';

/**
 * A second, independent implementation of Aqara's sign rule for tests that talk to the
 * simulator directly. It shares no code with simulator/signature.ts or src/, so the three
 * can only agree by all being right (each is checked against the protocol's test vectors).
 */
export interface SimSignInput {
  appId: string;
  keyId: string;
  appKey: string;
  nonce: string;
  time: string;
  accessToken?: string;
}

export function simSign(input: SimSignInput): string {
  const fields: [string, string | undefined][] = [
    ['Accesstoken', input.accessToken],
    ['Appid', input.appId],
    ['Keyid', input.keyId],
    ['Nonce', input.nonce],
    ['Time', input.time],
  ];
  const text = fields
    .filter((field): field is [string, string] => field[1] !== undefined && field[1] !== '')
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  return createHash('md5').update(`${text}${input.appKey}`.toLowerCase()).digest('hex');
}

export interface SimHeaderInput {
  appId: string;
  keyId: string;
  appKey: string;
  accessToken?: string;
  nonce?: string;
  time?: number | string;
}

/** The full header set for one request; a fresh nonce each call, as a real client must send. */
export function simHeaders(input: SimHeaderInput): Record<string, string> {
  const nonce = input.nonce ?? randomBytes(8).toString('hex');
  const time = String(input.time ?? Date.now());
  const headers: Record<string, string> = {
    Appid: input.appId,
    Keyid: input.keyId,
    Nonce: nonce,
    Time: time,
    Sign: simSign({ ...input, nonce, time }),
    Lang: 'en',
  };
  if (input.accessToken) headers.Accesstoken = input.accessToken;
  return headers;
}
