import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * The access token a shared store keeps for the cluster is sealed (AES-256-GCM) with a key derived
 * from the app's App Key, which every host of the config holds in its credentials and no database ever
 * does. A dump, a backup or a reader of the table therefore holds nothing usable; a row copied to
 * another config or app does not open (both are bound into the key and the tag). An access token is
 * worth less than a refresh token (it dies on its own within days, and every request also needs the
 * App Key), which is why only it is sealed: the refresh token stays readable, so changing the App Key
 * can never lock an account out.
 */

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class AccessTokenSeal {
  private readonly key: Buffer;
  private readonly binding: Buffer;

  constructor(appKey: string, appId: string, configId: string) {
    this.binding = Buffer.from(`${appId}\u0000${configId}`, 'utf8');
    this.key = Buffer.from(
      hkdfSync(
        'sha256',
        Buffer.from(appKey, 'utf8'),
        Buffer.from('aqara-cloud access token'),
        this.binding,
        32,
      ),
    );
  }

  seal(token: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(this.binding);
    const body = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
    return `${VERSION}.${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`;
  }

  /** The token, or undefined for anything not sealed by this key for this config (another App Key). */
  open(sealed: string): string | undefined {
    const [version, payload, extra] = sealed.split('.');
    if (version !== VERSION || payload === undefined || extra !== undefined) return undefined;
    const bytes = Buffer.from(payload, 'base64url');
    if (bytes.length <= IV_BYTES + TAG_BYTES) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, IV_BYTES));
      decipher.setAAD(this.binding);
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      const body = bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}
