import { createHash, timingSafeEqual } from 'node:crypto';

/** Checks `Authorization: Bearer <token>` values (HTTP header or gRPC metadata) against one token. */
export class BearerToken {
  private readonly digest: Buffer;

  constructor(token: string) {
    this.digest = sha256(token);
  }

  accepts(authorization: string | undefined): boolean {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    // Compare digests: equal lengths for timingSafeEqual, and no early exit on a prefix.
    return token !== undefined && timingSafeEqual(sha256(token), this.digest);
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
