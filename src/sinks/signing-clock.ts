/**
 * The clock a sink signs with: the local clock plus an offset learnt from the provider. A node
 * whose clock is off by more than the provider's tolerance (5 min at AWS, 15 min at Huawei's
 * gateway, Alibaba's timestamp check) gets every signed request refused as expired; the answer's
 * `Date` header says the provider's time, so the next request is signed with that (the AWS SDK
 * keeps `systemClockOffset` the same way).
 */
export class SigningClock {
  private offsetMs = 0;

  now(): number {
    return Date.now() + this.offsetMs;
  }

  /** Milliseconds added to the local clock when signing. */
  get offset(): number {
    return this.offsetMs;
  }

  /**
   * Learns the provider's time from a `Date` header received at `receivedAt` (local clock).
   * Returns false when the header is missing or unreadable; the offset then stays as it was.
   */
  correctFrom(dateHeader: string | null | undefined, receivedAt: number = Date.now()): boolean {
    if (!dateHeader) return false;
    const server = Date.parse(dateHeader);
    if (Number.isNaN(server)) return false;
    this.offsetMs = server - receivedAt;
    return true;
  }
}
