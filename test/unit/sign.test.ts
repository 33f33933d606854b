import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { signRequest, type SignInput } from '../../src/lib/aqara/sign';

// The vectors of Aqara's signing reference (Open API v3 documentation). The simulator checks
// against the same ones, so client and simulator cannot agree on a shared mistake.
const base: SignInput = {
  appId: 'APPID123',
  keyId: 'K.123',
  nonce: 'NONCE1',
  time: '1700000000000',
  appKey: 'AppKeySecret',
};

test('vector without access token', () => {
  assert.equal(signRequest(base), 'bd81d3dfd909fc022a3c21f43d87d528');
});

test('vector with access token', () => {
  assert.equal(
    signRequest({ ...base, accessToken: 'b8001e1893f5e4316a4f8c3b47df3720' }),
    'a632263f8e2170a94bf83df47a9692ca',
  );
});

test('signed string is the documented one, lowercased, app key appended', () => {
  const expected = createHash('md5')
    .update('appid=appid123&keyid=k.123&nonce=nonce1&time=1700000000000appkeysecret')
    .digest('hex');
  assert.equal(signRequest(base), expected);
});

test('letter case of every field, app key included, does not change the signature', () => {
  const token = 'b8001e1893f5e4316a4f8c3b47df3720';
  const lower = signRequest({ ...base, accessToken: token });
  const upper = signRequest({
    appId: base.appId.toUpperCase(),
    keyId: base.keyId.toUpperCase(),
    nonce: base.nonce.toLowerCase(),
    time: base.time,
    appKey: base.appKey.toUpperCase(),
    accessToken: token.toUpperCase(),
  });
  assert.equal(upper, lower);
});

test('signature is lowercase hex md5', () => {
  assert.match(signRequest({ ...base, accessToken: 'T' }), /^[0-9a-f]{32}$/);
});

test('without a token the Accesstoken part is left out entirely', () => {
  const withEmpty = signRequest({ ...base, accessToken: '' });
  const withUndefined = signRequest({ ...base, accessToken: undefined });
  assert.equal(withEmpty, 'bd81d3dfd909fc022a3c21f43d87d528');
  assert.equal(withUndefined, 'bd81d3dfd909fc022a3c21f43d87d528');
  // Not merely an empty value: 'Accesstoken=&' would sign a different string.
  const emptyPart = createHash('md5')
    .update('accesstoken=&appid=appid123&keyid=k.123&nonce=nonce1&time=1700000000000appkeysecret')
    .digest('hex');
  assert.notEqual(withEmpty, emptyPart);
});

test('every field takes part in the signature', () => {
  const reference = signRequest({ ...base, accessToken: 'tok' });
  const variants: SignInput[] = [
    { ...base, accessToken: 'tok2' },
    { ...base, accessToken: 'tok', appId: 'APPID124' },
    { ...base, accessToken: 'tok', keyId: 'K.124' },
    { ...base, accessToken: 'tok', nonce: 'NONCE2' },
    { ...base, accessToken: 'tok', time: '1700000000001' },
    { ...base, accessToken: 'tok', appKey: 'AppKeySecret2' },
  ];
  for (const variant of variants) assert.notEqual(signRequest(variant), reference);
});
