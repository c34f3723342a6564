// A namespace import: `argon2` is missing before Node 24.7, and a named import of it would not even load there.
import * as nodeCrypto from 'node:crypto';

/**
 * argon2id's cost. The defaults (config.ts) are OWASP's Password Storage Cheat Sheet minimum:
 * 19 MiB of memory, 2 passes, 1 lane (~50 ms a hash on one core here). Tests lower them.
 */
export interface PasswordCost {
  /** KiB. */
  memory: number;
  passes: number;
}

const PARALLELISM = 1;
const SALT_BYTES = 16;
const TAG_BYTES = 32;
/** Stored in the PHC string format every argon2 library reads: `$argon2id$v=19$m=...,t=...,p=...$salt$hash` (unpadded base64). */
const PHC = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;
/** OWASP's scrypt advice (N=2^17, r=8, p=1; 128 MiB a hash): used only on a Node without argon2. */
const SCRYPT_FALLBACK = { N: 2 ** 17, r: 8, p: 1 };

const argon2 = typeof nodeCrypto.argon2 === 'function' ? nodeCrypto.argon2 : undefined;
const normalize = (password: string) => password.normalize('NFKC');
const b64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');

function argon2id(password: string, salt: Buffer, cost: PasswordCost & { parallelism: number; tagLength: number }): Promise<Buffer> {
  if (!argon2) return Promise.reject(new Error(`argon2id hashes need Node 24.7 or later (this is ${process.version})`));
  return new Promise((resolve, reject) =>
    argon2(
      'argon2id',
      {
        message: normalize(password),
        nonce: salt,
        parallelism: cost.parallelism,
        tagLength: cost.tagLength,
        memory: cost.memory,
        passes: cost.passes,
      },
      (err, key) => (err ? reject(err) : resolve(key)),
    ),
  );
}

function scrypt(password: string, salt: Buffer, keyLength: number, options: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    nodeCrypto.scrypt(normalize(password), salt, keyLength, { ...options, maxmem: 256 * options.N * options.r }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

export async function hashPassword(password: string, cost: PasswordCost): Promise<string> {
  const salt = nodeCrypto.randomBytes(SALT_BYTES);
  if (!argon2) {
    const key = await scrypt(password, salt, 64, SCRYPT_FALLBACK);
    return ['scrypt', SCRYPT_FALLBACK.N, SCRYPT_FALLBACK.r, SCRYPT_FALLBACK.p, salt.toString('base64url'), key.toString('base64url')].join(
      '$',
    );
  }
  const key = await argon2id(password, salt, { ...cost, parallelism: PARALLELISM, tagLength: TAG_BYTES });
  return `$argon2id$v=19$m=${cost.memory},t=${cost.passes},p=${PARALLELISM}$${b64(salt)}$${b64(key)}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const phc = PHC.exec(stored);
  if (phc) {
    const [, m, t, p, salt, hash] = phc;
    const expected = Buffer.from(hash, 'base64');
    const actual = await argon2id(password, Buffer.from(salt, 'base64'), {
      memory: Number(m),
      passes: Number(t),
      parallelism: Number(p),
      tagLength: expected.length,
    });
    return nodeCrypto.timingSafeEqual(actual, expected);
  }
  if (stored.startsWith('scrypt$')) return verifyScrypt(password, stored);
  return false;
}

/** True when `stored` is not what hashPassword writes today: the login that just proved the password replaces it. */
export function needsRehash(stored: string, cost: PasswordCost): boolean {
  if (!argon2) return !stored.startsWith(`scrypt$${SCRYPT_FALLBACK.N}$${SCRYPT_FALLBACK.r}$${SCRYPT_FALLBACK.p}$`);
  const phc = PHC.exec(stored);
  return !phc || Number(phc[1]) !== cost.memory || Number(phc[2]) !== cost.passes || Number(phc[3]) !== PARALLELISM;
}

/**
 * A hash nobody's password matches, checked when the user does not exist so an unknown user
 * takes as long to refuse as a wrong password.
 */
export function createDecoyHash(cost: PasswordCost): Promise<string> {
  return hashPassword(nodeCrypto.randomBytes(24).toString('base64url'), cost);
}

/** `scrypt$N$r$p$salt$hash` (base64url): what earlier versions wrote. Still verified, then replaced at the next login. */
async function verifyScrypt(password: string, stored: string): Promise<boolean> {
  const [, n, r, p, salt, hash] = stored.split('$');
  const options = { N: Number(n), r: Number(r), p: Number(p) };
  if (!salt || !hash || ![options.N, options.r, options.p].every((v) => Number.isInteger(v) && v > 0)) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scrypt(password, Buffer.from(salt, 'base64url'), expected.length, options);
  return nodeCrypto.timingSafeEqual(actual, expected);
}
