import { z } from 'zod';

/** `host:port`, `[::1]:port` or `:port`. */
export const listenAddress = z.string().transform((value, ctx) => {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    ctx.addIssue({ code: 'custom', message: `invalid listen address ${JSON.stringify(value)} (use host:port)` });
    return z.NEVER;
  }
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
});
export type ListenAddress = z.output<typeof listenAddress>;
