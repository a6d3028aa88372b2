import { Global, Injectable, Module } from '@nestjs/common';

/**
 * The server's clock, as a provider: what a check-in records is the server's
 * time, never the client's, and tests move this clock instead of the world's.
 */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}

/** One clock for the whole app (the ledger books by it, check-ins record it): tests move it in one place. */
@Global()
@Module({ providers: [Clock], exports: [Clock] })
export class ClockModule {}
