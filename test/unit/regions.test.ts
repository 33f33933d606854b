import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AqaraError } from '../../src/lib/aqara/errors';
import { AQARA_REGIONS, isAqaraRegion, normalizeBaseUrl, resolveBaseUrl } from '../../src/lib/aqara/regions';

function assertCaller(fn: () => unknown, message: RegExp): AqaraError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof AqaraError, 'expected an AqaraError');
  assert.equal(caught.kind, 'caller');
  assert.match(caught.message, message);
  return caught;
}

test('the six regions map to the documented hosts', () => {
  assert.deepEqual(AQARA_REGIONS, {
    cn: 'https://open-cn.aqara.com',
    usa: 'https://open-usa.aqara.com',
    ger: 'https://open-ger.aqara.com',
    kr: 'https://open-kr.aqara.com',
    ru: 'https://open-ru.aqara.com',
    sg: 'https://open-sg.aqara.com',
  });
  assert.ok(Object.isFrozen(AQARA_REGIONS));
});

test('isAqaraRegion accepts only the six region names', () => {
  for (const region of ['cn', 'usa', 'ger', 'kr', 'ru', 'sg']) assert.equal(isAqaraRegion(region), true);
  for (const other of ['custom', 'eu', 'CN', '', 'toString', '__proto__', undefined, null, 1, {}]) {
    assert.equal(isAqaraRegion(other), false, String(other));
  }
});

test('resolveBaseUrl: known regions, default cn, tolerant of case and spaces', () => {
  assert.equal(resolveBaseUrl('ger'), 'https://open-ger.aqara.com');
  assert.equal(resolveBaseUrl(undefined), 'https://open-cn.aqara.com');
  assert.equal(resolveBaseUrl(''), 'https://open-cn.aqara.com');
  assert.equal(resolveBaseUrl(' USA '), 'https://open-usa.aqara.com');
  // A leftover custom URL does not override a chosen region.
  assert.equal(resolveBaseUrl('sg', 'http://localhost:1'), 'https://open-sg.aqara.com');
});

test('resolveBaseUrl: custom URL is validated and loses its trailing slashes', () => {
  assert.equal(resolveBaseUrl('custom', 'http://127.0.0.1:8080/'), 'http://127.0.0.1:8080');
  assert.equal(resolveBaseUrl('custom', ' https://aqara.example/prefix// '), 'https://aqara.example/prefix');
  assert.equal(resolveBaseUrl('custom', 'HTTP://LOCALHOST:9'), 'http://localhost:9');
});

test('resolveBaseUrl: custom without a URL, or a bad one, is a caller error', () => {
  assertCaller(() => resolveBaseUrl('custom'), /no base URL/);
  assertCaller(() => resolveBaseUrl('custom', '   '), /no base URL/);
  assertCaller(() => resolveBaseUrl('custom', 'not a url'), /not a valid URL/);
  assertCaller(() => resolveBaseUrl('custom', 'ftp://example.com'), /http:\/\/ or https:\/\//);
  assertCaller(() => resolveBaseUrl('custom', 'http://example.com/?a=1'), /query or fragment/);
  assertCaller(() => resolveBaseUrl('custom', 'http://example.com/#x'), /query or fragment/);
});

test('resolveBaseUrl: a URL with credentials is refused and not echoed', () => {
  const error = assertCaller(
    () => resolveBaseUrl('custom', 'https://user:hunter2@example.com'),
    /user name or password/,
  );
  assert.doesNotMatch(error.message, /hunter2/);
  const unparsable = assertCaller(
    () => normalizeBaseUrl('http://user:hunter2@exa mple.com'),
    /not a valid URL/,
  );
  assert.doesNotMatch(unparsable.message, /hunter2/);
});

test('resolveBaseUrl: unknown region names the allowed ones', () => {
  const error = assertCaller(() => resolveBaseUrl('eu'), /"eu" is not known/);
  assert.match(error.message, /cn, usa, ger, kr, ru, sg or custom/);
  // Hosts that only exist in third-party code are not accepted as region names either.
  assertCaller(() => resolveBaseUrl('rus'), /not known/);
});
