import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AccessTokenSeal } from '../../src/lib/tokens/access-token-seal';

describe('the seal on a shared access token', () => {
  const token = 'b8001e1893f5e4316a4f8c3b47df3720';
  const seal = new AccessTokenSeal('app-key-secret', 'app-1', 'cfg-1');

  it('opens what it sealed, and never shows the token in the sealed text', () => {
    const sealed = seal.seal(token);
    assert.equal(seal.open(sealed), token);
    assert.ok(!sealed.includes(token));
    assert.notEqual(seal.seal(token), sealed, 'a fresh nonce each time');
  });

  it('opens nothing sealed with another App Key, for another config or app, or tampered with', () => {
    const sealed = seal.seal(token);
    assert.equal(new AccessTokenSeal('another-app-key', 'app-1', 'cfg-1').open(sealed), undefined);
    assert.equal(new AccessTokenSeal('app-key-secret', 'app-1', 'cfg-2').open(sealed), undefined);
    assert.equal(new AccessTokenSeal('app-key-secret', 'app-2', 'cfg-1').open(sealed), undefined);
    const [version, payload] = sealed.split('.');
    const bytes = Buffer.from(payload, 'base64url');
    bytes[bytes.length - 20] ^= 1;
    assert.equal(seal.open(`${version}.${bytes.toString('base64url')}`), undefined);
    for (const garbage of ['', 'v1.', 'v2.' + payload, `${sealed}.x`, 'v1.AAAA']) {
      assert.equal(seal.open(garbage), undefined, garbage);
    }
  });
});
