// Registration rules for clients and users, and password hashing (pure, plus scrypt).
import { checkClient, newClientSecret, secretMatches, type OAuthClient } from '../../src/auth/clients';
import { hashPassword, verifyPassword } from '../../src/auth/passwords';

const base: OAuthClient = { clientId: 'a', name: 'A', redirectUris: ['https://app.example/cb'], scope: 'patient/*.rs', auth: { method: 'none' }, createdAt: '2025-01-01T00:00:00Z' };

describe('client registration', () => {
  it('accepts https and loopback http redirect URIs only, without fragments', () => {
    expect(() => checkClient(base)).not.toThrow();
    expect(() => checkClient({ ...base, redirectUris: ['http://127.0.0.1:3000/cb'] })).not.toThrow();
    expect(() => checkClient({ ...base, redirectUris: ['http://app.example/cb'] })).toThrow(/https/);
    expect(() => checkClient({ ...base, redirectUris: ['https://app.example/cb#x'] })).toThrow(/fragment/);
    expect(() => checkClient({ ...base, redirectUris: ['/cb'] })).toThrow(/absolute/);
    expect(() => checkClient({ ...base, redirectUris: [] })).toThrow(/redirect-uri/);
    expect(() => checkClient({ ...base, clientId: 'a b' })).toThrow(/client id/);
  });

  it('takes public RSA or P-384 keys for private_key_jwt', () => {
    const auth = (keys: object[]) => ({ ...base, redirectUris: [], auth: { method: 'private_key_jwt' as const, jwks: { keys: keys as never } } });
    expect(() => checkClient(auth([{ kty: 'EC', crv: 'P-384', x: 'x', y: 'y' }]))).not.toThrow();
    expect(() => checkClient(auth([{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }]))).toThrow(/P-384/);
    expect(() => checkClient(auth([{ kty: 'RSA', n: 'n', e: 'AQAB', d: 'secret' }]))).toThrow(/private key/);
    expect(() => checkClient(auth([]))).toThrow(/no keys/);
    expect(() => checkClient({ ...base, redirectUris: [], auth: { method: 'private_key_jwt', jwksUri: 'http://keys.example/jwks' } })).toThrow(/https/);
  });

  it('stores only a hash of a client secret', () => {
    const { secret, secretHash } = newClientSecret();
    expect(secretHash).not.toContain(secret);
    expect(secretMatches(secret, secretHash)).toBe(true);
    expect(secretMatches(`${secret}x`, secretHash)).toBe(false);
  });
});

describe('passwords', () => {
  it('hashes with scrypt and a salt, and verifies', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('correct horsE', a)).toBe(false);
    expect(await verifyPassword('correct horse', 'plain')).toBe(false);
  });
});
