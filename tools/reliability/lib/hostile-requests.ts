import type { Prng } from './prng';

/**
 * Hostile input for the admin routes, generated from a seed. Each request says what a correct server
 * must answer: a 4xx JSON error (`reject`, with the exact status when the interface fixes it), or 200
 * for the few valid requests included on purpose. Valid POSTs only ever name the DECOY config; every
 * request that names the VICTIM config is invalid, so any change to the victim's stored token proves
 * that something invalid was accepted.
 */

export interface HostileRequest {
  category: Category;
  method: 'GET' | 'POST';
  /** Path and query under the admin root, e.g. `aqara/token-status?config=x`. */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  expect: 'ok' | 'reject';
  /** The status the interface prescribes, when it prescribes one. */
  status?: number;
  /** A short description for failure reports (never the body itself: it may be a megabyte). */
  what: string;
}

export type Category =
  | 'malformed JSON'
  | 'non-object JSON'
  | 'wrong types'
  | 'huge'
  | 'unicode'
  | 'prototype keys'
  | 'content types'
  | 'unknown config'
  | 'GET query variants'
  | 'config in query';

export interface Targets {
  victim: string;
  decoy: string;
}

const POST_PATH = 'aqara/refresh-token';
const GET_PATH = 'aqara/token-status';
const JSON_TYPE = { 'Content-Type': 'application/json' };
const MB = 1024 * 1024;

type Maker = (rng: Prng, targets: Targets) => HostileRequest;

function post(
  category: Category,
  what: string,
  body: Buffer | string,
  expect: 'ok' | 'reject',
  status?: number,
  headers: Record<string, string> = JSON_TYPE,
  path = POST_PATH,
): HostileRequest {
  return {
    category,
    method: 'POST',
    path,
    headers,
    body: Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'),
    expect,
    status,
    what,
  };
}

function postJson(
  category: Category,
  what: string,
  value: unknown,
  expect: 'ok' | 'reject',
  status?: number,
  path = POST_PATH,
): HostileRequest {
  return post(category, what, JSON.stringify(value), expect, status, JSON_TYPE, path);
}

function get(
  what: string,
  query: string,
  expect: 'ok' | 'reject',
  status?: number,
  headers: Record<string, string> = {},
): HostileRequest {
  return {
    category: 'GET query variants',
    method: 'GET',
    path: `${GET_PATH}${query}`,
    headers,
    expect,
    status,
    what,
  };
}

/** A token the route must accept: printable ASCII, no whitespace, at most 4096 characters. */
function validToken(rng: Prng): string {
  if (rng.chance(0.7)) return rng.hex(32);
  const printable = Array.from({ length: 94 }, (_, i) => String.fromCharCode(33 + i)).join('');
  return rng.text(rng.int(1, 300), printable);
}

const malformedJson: Maker = (rng, { victim }) => {
  const whole = JSON.stringify({ refresh_token: rng.hex(32), config: victim });
  const variants: [string, () => Buffer | string][] = [
    ['truncated object', () => whole.slice(0, rng.int(1, whole.length - 1))],
    [
      'random bytes',
      () => Buffer.concat([Buffer.from(rng.pick(['{', '[', '', '"'])), rng.bytes(rng.int(1, 300))]),
    ],
    ['single quotes', () => `{'refresh_token': '${rng.hex(32)}', 'config': '${victim}'}`],
    ['trailing comma', () => `{"refresh_token": "${rng.hex(32)}", "config": "${victim}",}`],
    ['comment', () => `{"refresh_token": "${rng.hex(32)}" /* hi */, "config": "${victim}"}`],
    ['NaN value', () => `{"refresh_token": NaN, "config": "${victim}"}`],
    ['unquoted keys', () => `{refresh_token: "${rng.hex(32)}", config: "${victim}"}`],
    ['missing comma', () => `{"refresh_token": "${rng.hex(32)}" "config": "${victim}"}`],
    [
      'invalid UTF-8 in a string',
      () =>
        Buffer.concat([
          Buffer.from('{"refresh_token": "'),
          Buffer.from([0xff, 0xfe, 0xc3]),
          Buffer.from(`", "config": "${victim}"}`),
        ]),
    ],
    ['unclosed deep nesting', () => '['.repeat(rng.int(1000, 100_000))],
    ['lone backslash escape', () => `{"refresh_token": "abc\\q", "config": "${victim}"}`],
    ['BOM then garbage', () => `\ufeff{"refresh_token" ${rng.hex(8)}`],
  ];
  const [what, make] = rng.pick(variants);
  return post('malformed JSON', what, make(), 'reject', 400);
};

const nonObjectJson: Maker = (rng, { victim }) => {
  const variants: [string, string][] = [
    ['empty array', '[]'],
    ['array holding a valid body', JSON.stringify([{ refresh_token: rng.hex(32), config: victim }])],
    ['array of strings', JSON.stringify([rng.hex(32), victim])],
    ['bare string', JSON.stringify(rng.hex(32))],
    ['bare number', String(rng.int(0, 1e9))],
    ['bare null', 'null'],
    ['bare true', 'true'],
    ['deeply nested arrays', `${'['.repeat(5000)}${']'.repeat(5000)}`],
  ];
  const [what, body] = rng.pick(variants);
  return post('non-object JSON', what, body, 'reject', 400);
};

const wrongTypes: Maker = (rng, { victim }) => {
  const badTokens: [string, unknown][] = [
    ['number token', rng.int(0, 1e12)],
    ['boolean token', rng.chance(0.5)],
    ['null token', null],
    ['array token', [rng.hex(32)]],
    ['object token', { value: rng.hex(32) }],
    ['empty token', ''],
    ['blank token', '   \t '],
    ['token with inner space', `${rng.hex(10)} ${rng.hex(10)}`],
    ['token with newline inside', `${rng.hex(10)}\n${rng.hex(10)}`],
    ['missing token', undefined],
  ];
  if (rng.chance(0.7)) {
    const [what, token] = rng.pick(badTokens);
    const body: Record<string, unknown> = { config: victim };
    if (token !== undefined) body.refresh_token = token;
    return postJson('wrong types', what, body, 'reject', 400);
  }
  const badConfigs: [string, unknown][] = [
    ['number config', rng.int(0, 1e6)],
    ['array config', [victim]],
    ['object config', { id: victim }],
    ['boolean config', true],
    ['null config (several configs deployed)', null],
  ];
  const [what, config] = rng.pick(badConfigs);
  return postJson('wrong types', what, { refresh_token: rng.hex(32), config }, 'reject', 400);
};

const huge: Maker = (rng, { victim, decoy }) => {
  const roll = rng.next();
  if (roll < 0.03) {
    // Beyond Node-RED's 5 MB admin body limit.
    return postJson(
      'huge',
      '6 MB body',
      { refresh_token: 'a'.repeat(6 * MB), config: victim },
      'reject',
      413,
    );
  }
  const variants: [string, () => HostileRequest][] = [
    [
      '1 MB token',
      () => postJson('huge', '1 MB token', { refresh_token: 'a'.repeat(MB), config: victim }, 'reject', 400),
    ],
    [
      '1 MB unicode token',
      () =>
        postJson(
          'huge',
          '1 MB unicode token',
          { refresh_token: 'é'.repeat(MB / 2), config: victim },
          'reject',
          400,
        ),
    ],
    [
      '4097-character token',
      () =>
        postJson(
          'huge',
          '4097-character token',
          { refresh_token: 'b'.repeat(4097), config: victim },
          'reject',
          400,
        ),
    ],
    [
      '4096-character token (valid, decoy)',
      () =>
        postJson(
          'huge',
          '4096-character token (valid, decoy)',
          { refresh_token: 'c'.repeat(4096), config: decoy },
          'ok',
          200,
        ),
    ],
    [
      '1 MB config id',
      () =>
        postJson(
          'huge',
          '1 MB config id',
          { refresh_token: rng.hex(32), config: 'x'.repeat(MB) },
          'reject',
          404,
        ),
    ],
    [
      '50 000 keys',
      () => {
        const body: Record<string, unknown> = { config: victim };
        for (let i = 0; i < 50_000; i++) body[`k${i}`] = i;
        return postJson('huge', '50 000 keys', body, 'reject', 400);
      },
    ],
  ];
  return rng.pick(variants)[1]();
};

const unicode: Maker = (rng, { victim }) => {
  const tokens: [string, string][] = [
    ['emoji token', `${rng.hex(8)}😀${rng.hex(8)}`],
    ['right-to-left override', `${rng.hex(8)}\u202e${rng.hex(8)}`],
    ['zero-width space', `${rng.hex(8)}\u200b${rng.hex(8)}`],
    ['NUL inside', `${rng.hex(8)}\u0000${rng.hex(8)}`],
    ['lone surrogate', `${rng.hex(8)}\ud800${rng.hex(8)}`],
    ['fullwidth letters', 'ＡＢＣＤ１２３４'],
    ['combining marks', `a\u0301\u0302\u0303${rng.hex(8)}`],
    ['no-break space inside', `${rng.hex(8)}\u00a0${rng.hex(8)}`],
    ['line separator inside', `${rng.hex(8)}\u2028${rng.hex(8)}`],
    ['DEL character', `${rng.hex(8)}\u007f`],
  ];
  if (rng.chance(0.75)) {
    const [what, token] = rng.pick(tokens);
    return postJson('unicode', what, { refresh_token: token, config: victim }, 'reject', 400);
  }
  const ids = [
    `${victim}\u200b`,
    `${victim.toUpperCase()}`,
    'ｃｆｇ',
    '😀',
    `\u202e${victim}`,
    `${victim}\u0000`,
  ];
  return postJson(
    'unicode',
    'unicode config id',
    { refresh_token: rng.hex(32), config: rng.pick(ids) },
    'reject',
    404,
  );
};

const prototypeKeys: Maker = (rng, { victim }) => {
  const token = rng.hex(32);
  const variants: [string, string, number][] = [
    [
      'token only under __proto__',
      `{"__proto__": {"refresh_token": "${token}"}, "config": "${victim}"}`,
      400,
    ],
    [
      'token under constructor.prototype',
      `{"constructor": {"prototype": {"refresh_token": "${token}"}}, "config": "${victim}"}`,
      400,
    ],
    [
      'config only under __proto__',
      `{"__proto__": {"config": "${victim}"}, "refresh_token": "${token}"}`,
      400,
    ],
    ['config named __proto__', `{"refresh_token": "${token}", "config": "__proto__"}`, 404],
    ['config named constructor', `{"refresh_token": "${token}", "config": "constructor"}`, 404],
    ['config named toString', `{"refresh_token": "${token}", "config": "toString"}`, 404],
    ['config named hasOwnProperty', `{"refresh_token": "${token}", "config": "hasOwnProperty"}`, 404],
    ['__proto__ token value', `{"refresh_token": {"__proto__": {"length": 1}}, "config": "${victim}"}`, 400],
  ];
  const [what, body, status] = rng.pick(variants);
  if (rng.chance(0.2)) {
    return post(
      'prototype keys',
      'config only under __proto__ in the query',
      JSON.stringify({ refresh_token: token }),
      'reject',
      400,
      JSON_TYPE,
      `${POST_PATH}?__proto__[config]=${encodeURIComponent(victim)}`,
    );
  }
  return post('prototype keys', what, body, 'reject', status);
};

const contentTypes: Maker = (rng, { victim, decoy }) => {
  const token = rng.hex(32);
  const victimBody = JSON.stringify({ refresh_token: token, config: victim });
  if (rng.chance(0.15)) {
    // Valid on purpose: media types are case-insensitive and may carry a UTF-8 charset.
    const type = rng.pick([
      'APPLICATION/JSON',
      'application/json; charset=utf-8',
      'Application/Json;charset=UTF-8',
    ]);
    return post(
      'content types',
      `valid, ${type}, decoy`,
      JSON.stringify({ refresh_token: token, config: decoy }),
      'ok',
      200,
      { 'Content-Type': type },
    );
  }
  const variants: [string, Record<string, string>, Buffer | string, number | undefined][] = [
    ['text/plain', { 'Content-Type': 'text/plain' }, victimBody, 415],
    [
      'form-urlencoded',
      { 'Content-Type': 'application/x-www-form-urlencoded' },
      `refresh_token=${token}&config=${encodeURIComponent(victim)}`,
      415,
    ],
    [
      'multipart',
      { 'Content-Type': 'multipart/form-data; boundary=x' },
      `--x\r\nContent-Disposition: form-data; name="refresh_token"\r\n\r\n${token}\r\n--x--\r\n`,
      415,
    ],
    ['no Content-Type', {}, victimBody, 415],
    ['application/jsonp', { 'Content-Type': 'application/jsonp' }, victimBody, 415],
    ['application/json-patch+json', { 'Content-Type': 'application/json-patch+json' }, victimBody, 415],
    ['text/json', { 'Content-Type': 'text/json' }, victimBody, 415],
    ['two types in one header', { 'Content-Type': 'application/json, text/plain' }, victimBody, 415],
    ['unsupported charset', { 'Content-Type': 'application/json; charset=latin1' }, victimBody, 415],
    [
      'UTF-16 charset, UTF-8 bytes',
      { 'Content-Type': 'application/json; charset=utf-16' },
      victimBody,
      undefined,
    ],
    [
      'gzip that is not gzip',
      { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
      victimBody,
      undefined,
    ],
    [
      'unknown content encoding',
      { 'Content-Type': 'application/json', 'Content-Encoding': 'br2' },
      victimBody,
      415,
    ],
  ];
  const [what, headers, body, status] = rng.pick(variants);
  return post('content types', what, body, 'reject', status, headers);
};

const unknownConfig: Maker = (rng, { victim }) => {
  const ids = [
    rng.hex(16),
    '../../etc/passwd',
    "' OR '1'='1",
    `${victim}x`,
    `x${victim}`,
    'null',
    'undefined',
    'x'.repeat(rng.int(100, 5000)),
    '<script>alert(1)</script>',
    '%00',
  ];
  const id = rng.pick(ids);
  if (rng.chance(0.3)) {
    return post(
      'unknown config',
      'unknown config id in the query',
      JSON.stringify({ refresh_token: rng.hex(32) }),
      'reject',
      404,
      JSON_TYPE,
      `${POST_PATH}?config=${encodeURIComponent(id)}`,
    );
  }
  return postJson(
    'unknown config',
    'unknown config id in the body',
    { refresh_token: rng.hex(32), config: id },
    'reject',
    404,
  );
};

const getVariants: Maker = (rng, { victim, decoy }) => {
  const v = encodeURIComponent(victim);
  const variants: [string, string, 'ok' | 'reject', number | undefined][] = [
    ['status of the victim (valid)', `?config=${v}`, 'ok', 200],
    ['status of the decoy (valid)', `?config=${encodeURIComponent(decoy)}`, 'ok', 200],
    ['padded id (valid: ids are trimmed)', `?config=%20${v}%20`, 'ok', 200],
    ['no config, several deployed', '', 'reject', 400],
    ['empty config', '?config=', 'reject', 400],
    ['unknown config', `?config=${rng.hex(12)}`, 'reject', 404],
    ['config as an array', `?config[]=${v}`, 'reject', 400],
    ['config twice', `?config=${v}&config=${v}`, 'reject', 400],
    ['config as an object', `?config[x]=${v}`, 'reject', 400],
    ['bad percent-encoding', '?config=%ZZ%', 'reject', 404],
    ['NUL in the id', `?config=${v}%00`, 'reject', 404],
    ['config under __proto__', `?__proto__[config]=${v}`, 'reject', 400],
    ['Config in another case', `?Config=${v}`, 'reject', 400],
    ['8 KB id', `?config=${'y'.repeat(8000)}`, 'reject', 404],
    ['unicode id', `?config=${encodeURIComponent('ｃｆｇ😀')}`, 'reject', 404],
    ['constructor as id', '?config=constructor', 'reject', 404],
  ];
  const [what, query, expect, status] = rng.pick(variants);
  const headers: Record<string, string> = rng.chance(0.2)
    ? { Accept: rng.pick(['text/html', '*/*', 'application/xml']) }
    : {};
  return get(what, query, expect, status, headers);
};

const configInQuery: Maker = (rng, { victim, decoy }) => {
  const token = validToken(rng);
  const variants: (() => HostileRequest)[] = [
    () =>
      post(
        'config in query',
        'bad token, victim in the query',
        JSON.stringify({ refresh_token: 42 }),
        'reject',
        400,
        JSON_TYPE,
        `${POST_PATH}?config=${encodeURIComponent(victim)}`,
      ),
    () =>
      post(
        'config in query',
        'valid token, decoy in the query (valid)',
        JSON.stringify({ refresh_token: token }),
        'ok',
        200,
        JSON_TYPE,
        `${POST_PATH}?config=${encodeURIComponent(decoy)}`,
      ),
    // The body's config wins over the query's: were it the other way round, the victim would change.
    () =>
      post(
        'config in query',
        'decoy in the body, victim in the query (valid: body wins)',
        JSON.stringify({ refresh_token: token, config: decoy }),
        'ok',
        200,
        JSON_TYPE,
        `${POST_PATH}?config=${encodeURIComponent(victim)}`,
      ),
  ];
  return rng.pick(variants)();
};

const MAKERS: readonly Maker[] = [
  malformedJson,
  nonObjectJson,
  wrongTypes,
  huge,
  unicode,
  prototypeKeys,
  contentTypes,
  unknownConfig,
  getVariants,
  configInQuery,
];

/** Huge bodies are made one at a time, on demand, so 10 000 requests never sit in memory at once. */
export function* hostileRequests(rng: Prng, count: number, targets: Targets): Generator<HostileRequest> {
  for (let i = 0; i < count; i++) {
    const maker = rng.pick(MAKERS);
    // Huge bodies are rarer than the rest, or the run would spend its time moving megabytes.
    if (maker === huge && !rng.chance(0.25)) {
      yield wrongTypes(rng, targets);
      continue;
    }
    yield maker(rng, targets);
  }
}
