import { createHash, timingSafeEqual } from 'node:crypto';

/** Checks `Authorization: Bearer <token>` values (HTTP header or gRPC metadata) against one token. */
export class BearerToken {
  private readonly digest: Buffer;

  constructor(token: string) {
    this.digest = sha256(token);
  }

  accepts(authorization: string | undefined): boolean {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    // Compare digests: equal lengths for timingSafeEqual, and no early exit on a prefix.
    return m !== null && timingSafeEqual(sha256(m[1]!), this.digest);
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
